/**
 * The compiled-indicator cache: the result of loading, normalising and
 * compiling a set of feeds, stored in one file keyed by a hash of the feed
 * contents and every option that changes the result, so that a re-run with
 * unchanged feeds starts without parsing a single feed line.
 *
 * A cache file holds the packed engine tables (what the native addon
 * compiles from) and one JSON record per indicator, parsed only when a hit
 * needs it. Files are written to a temporary name and renamed into place,
 * so concurrent runs never see a partial file; a file that fails any check
 * is ignored (and the feeds are loaded as if there were no cache).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FeedSummary } from '../indicators/load.js';
import type { IndicatorLookup, StoredIndicator } from '../indicators/store.js';
import { INDICATOR_TYPES, type IndicatorType } from '../indicators/types.js';
import { normalizeIndicator } from '../indicators/normalize.js';
import type { PackedTables } from '../engine/native/native-engine.js';

/** Bump when the file layout or the meaning of anything in it changes. */
export const CACHE_FORMAT = 4;
const MAGIC = Buffer.from('IOCHUNTC');
const TRAILER = Buffer.from('IOCHUNT-END');
const KEEP_FILES = 12;
const STALE_TMP_MS = 60 * 60 * 1000;
/**
 * Names of the files iochunt writes in the cache directory; pruning never
 * touches any other file (the directory may be `.` or `/tmp`).
 */
const ENTRY_NAME = /^iochunt-[0-9a-f]{64}\.iocc$/;
const TMP_NAME = /^\.iochunt-[0-9a-f]{64}\.\d+\.[0-9a-f]{8}\.tmp$/;
/** Entries of cache formats before 4 (no longer read): removed when they start with the magic bytes. */
const LEGACY_ENTRY_NAME = /^[0-9a-f]{64}\.iocc$/;

import { makeDirectory } from './cache-dir.js';

export { defaultCacheDir } from './cache-dir.js';

/** What changes the compiled result besides the feed bytes. */
export interface CacheKeyInput {
  /** Feed paths as given: they are reported in `feed.name`, so they are part of the key. */
  readonly feeds: readonly string[];
  readonly options: Readonly<Record<string, string | boolean | number | undefined>>;
  readonly version: string;
}

/**
 * The cache key: SHA-256 over the format, the iochunt version, the options,
 * and each feed's path and bytes. Returns undefined when a feed is not a
 * regular file (stdin, a pipe): such input cannot be cached.
 */
export function cacheKey(input: CacheKeyInput): string | undefined {
  const h = createHash('sha256');
  h.update(`iochunt-cache ${CACHE_FORMAT} ${input.version}\n`);
  h.update(`${JSON.stringify(Object.entries(input.options).sort(([a], [b]) => a.localeCompare(b)))}\n`);
  for (const path of input.feeds) {
    if (path === '-') return undefined;
    let st;
    try {
      st = statSync(path);
    } catch {
      return undefined; // the loader reports it
    }
    if (!st.isFile()) return undefined;
    const bytes = readFileSync(path);
    h.update(`${JSON.stringify(path)} ${bytes.length}\n`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/** What a cache file restores. */
export interface CachedIndicators {
  readonly tables: PackedTables;
  readonly store: IndicatorLookup;
  readonly counts: Record<IndicatorType, number>;
  readonly feeds: readonly FeedSummary[];
  readonly invalidCount: number;
  /** Warnings the original load printed (invalid entries), replayed on a cached run. */
  readonly warnings: readonly string[];
}

interface Section {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
  readonly type: 'u8' | 'u32';
}

interface Header {
  readonly format: number;
  readonly key: string;
  readonly domainMatch: string;
  readonly size: number;
  readonly counts: Record<IndicatorType, number>;
  readonly feeds: readonly FeedSummary[];
  readonly feedNames: readonly string[];
  readonly invalidCount: number;
  readonly warnings: readonly string[];
  readonly sections: readonly Section[];
  readonly bodyLength: number;
}

/** SHA-256 length: the digest of everything before it, stored just before the trailer. */
const DIGEST_BYTES = 32;

/**
 * One indicator as a JSON array `[typeIndex, name, [[feedIndex, line, meta?], ...]]`.
 * The indicator itself is re-derived from its canonical name when read:
 * normalising a canonical name gives back the same indicator.
 */
function encodeIndicator(stored: StoredIndicator, feedIndex: Map<string, number>): string {
  let sources = '';
  for (const s of stored.sources) {
    if (sources !== '') sources += ',';
    sources += `[${feedIndex.get(s.feed) as number},${s.line}`;
    // Metadata beyond feed and line, in the source's own key order (most sources have none:
    // this is checked without building the rest object).
    for (const k in s) {
      if (k === 'feed' || k === 'line') continue;
      const { feed: _feed, line: _line, ...meta } = s;
      sources += `,${JSON.stringify(meta)}`;
      break;
    }
    sources += ']';
  }
  return `[${TYPE_INDEX.get(stored.indicator.type) as number},${JSON.stringify(stored.indicator.name)},[${sources}]]`;
}

const TYPE_INDEX: ReadonlyMap<IndicatorType, number> = new Map(INDICATOR_TYPES.map((t, i) => [t, i]));

/**
 * How many parsed records a {@link LazyStore} keeps. Dense hits over a large
 * set would otherwise end up holding every indicator parsed (~1 KB each: 100k
 * indicators were ~100 MiB of a dense scan's heap); past this many, the kept
 * records are dropped and parsed again when a hit needs them (a few µs each).
 */
const PARSED_KEPT = 8192;

/** An indicator store read lazily from a cache file: a record is parsed when a hit needs it, and kept a while. */
class LazyStore implements IndicatorLookup {
  private parsed = new Map<number, StoredIndicator>();
  constructor(
    private readonly blob: Buffer,
    private readonly offsets: Uint32Array,
    private readonly feedNames: readonly string[],
  ) {}

  get size(): number {
    return this.offsets.length - 1;
  }

  get(id: number): StoredIndicator {
    const hit = this.parsed.get(id);
    if (hit) return hit;
    if (!Number.isInteger(id) || id < 0 || id >= this.size) throw new RangeError(`unknown indicator id ${id}`);
    const text = this.blob.toString('utf8', this.offsets[id], (this.offsets[id + 1] as number) - 1);
    const [typeIndex, name, sources] = JSON.parse(text) as [number, string, Array<[number, number, Record<string, string>?]>];
    const type = INDICATOR_TYPES[typeIndex];
    const r = type ? normalizeIndicator(name, type) : undefined;
    if (!r?.ok || r.indicator.name !== name || r.indicator.type !== type) {
      throw new Error(`indicator cache record ${id} (${JSON.stringify(name)}) does not normalise to itself; remove the cache file`);
    }
    const indicator = r.indicator;
    const stored: StoredIndicator = {
      id,
      indicator,
      sources: sources.map(([f, line, meta]) => {
        const feed = this.feedNames[f];
        if (feed === undefined) throw new Error(`indicator cache record ${id} names an unknown feed; remove the cache file`);
        return { feed, line, ...(meta ?? {}) };
      }),
    };
    if (this.parsed.size >= PARSED_KEPT) this.parsed = new Map();
    this.parsed.set(id, stored);
    return stored;
  }
}

/** Offsets into a blob: non-decreasing, starting at 0, within the blob. */
function checkOffsets(name: string, offsets: Uint32Array, blobLength: number): void {
  let prev = 0;
  if (offsets.length > 0 && offsets[0] !== 0) throw new Error(`bad section ${name}.offsets`);
  for (const o of offsets) {
    if (o < prev || o > blobLength) throw new Error(`bad section ${name}.offsets`);
    prev = o;
  }
}

/** Indicator ids of a table: each names a record of the store. */
function checkIds(name: string, ids: Uint32Array, size: number): void {
  for (const id of ids) if (id >= size) throw new Error(`bad section ${name}.ids`);
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The parsed header, checked field by field: any surprise makes the file unusable. */
function checkHeader(h: unknown): Header {
  const o = h as Partial<Header> | null;
  const ok =
    o !== null &&
    typeof o === 'object' &&
    isInt(o.format) &&
    typeof o.key === 'string' &&
    (o.domainMatch === 'exact' || o.domainMatch === 'subdomain') &&
    isInt(o.size) &&
    o.size < 0xffffffff &&
    typeof o.counts === 'object' &&
    o.counts !== null &&
    INDICATOR_TYPES.every((t) => isInt((o.counts as Record<string, unknown>)[t])) &&
    Array.isArray(o.feeds) &&
    isStrings(o.feedNames) &&
    o.feedNames.length === o.feeds.length &&
    o.feedNames.length > 0 &&
    o.feeds.every((f, i) => f !== null && typeof f === 'object' && f.path === o.feedNames?.[i]) &&
    isInt(o.invalidCount) &&
    isStrings(o.warnings) &&
    isInt(o.bodyLength) &&
    Array.isArray(o.sections) &&
    o.sections.every((s) => s !== null && typeof s === 'object' && typeof s.name === 'string' && isInt(s.offset) && isInt(s.length) && (s.type === 'u8' || s.type === 'u32'));
  if (!ok) throw new Error('bad header');
  return o as Header;
}

/**
 * The whole file at `path` in one read, into memory of its own starting at
 * byte 0 of its ArrayBuffer (readFileSync may hand out a slice of a pool).
 */
function readWhole(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const data = Buffer.from(new ArrayBuffer(size));
    let at = 0;
    while (at < size) {
      const n = readSync(fd, data, at, size - at, at);
      if (n === 0) break;
      at += n;
    }
    if (at !== size) throw new Error('file changed while read');
    return data;
  } finally {
    closeSync(fd);
  }
}

/** True when the file at `path` begins with the cache file's magic bytes. */
function startsWithMagic(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(MAGIC);
  } finally {
    closeSync(fd);
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Flattens the packed tables into named typed-array sections. */
function tableSections(t: PackedTables): Array<[string, Uint8Array | Uint32Array]> {
  const out: Array<[string, Uint8Array | Uint32Array]> = [];
  for (const name of ['ipv4', 'ipv6'] as const) {
    out.push([`${name}.bytes`, t[name].bytes], [`${name}.prefix`, t[name].prefix], [`${name}.ids`, t[name].ids]);
  }
  for (const name of ['domains', 'hashes', 'emails', 'urls', 'urlsSchemeless'] as const) {
    out.push([`${name}.blob`, t[name].blob], [`${name}.offsets`, t[name].offsets], [`${name}.ids`, t[name].ids]);
  }
  if (t.hsDomainsDb) out.push(['hsDomainsDb', t.hsDomainsDb]);
  return out;
}

/** A directory of cache files. Every method is best effort: failures are returned, never thrown. */
export class IndicatorCache {
  constructor(readonly dir: string) {}

  private file(key: string): string {
    return join(this.dir, `iochunt-${key}.iocc`);
  }

  /**
   * Reads the entry for `key`. Returns undefined when there is none, and a
   * reason string when there is one that cannot be used (it is then ignored).
   */
  read(key: string): CachedIndicators | { unusable: string } | undefined {
    let data: Buffer;
    try {
      data = readWhole(this.file(key));
    } catch {
      return undefined;
    }
    try {
      const entry = this.decode(key, data);
      try {
        // Mark it used, so that pruning keeps it.
        const now = new Date();
        utimesSync(this.file(key), now, now);
      } catch {
        // read-only cache: fine
      }
      return entry;
    } catch (err) {
      return { unusable: `${this.file(key)}: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  /**
   * Decodes and checks a whole cache file. The SHA-256 at the end covers
   * every byte before it (magic, header, body), so a flipped or shifted byte
   * anywhere is refused here, never met later as a crash or a missed hit;
   * the structure is then checked as well (a file written by a bug). Throws
   * on any problem: the caller treats the file as unusable.
   */
  private decode(key: string, data: Buffer): CachedIndicators {
    const minLength = MAGIC.length + 4 + DIGEST_BYTES + TRAILER.length;
    if (data.length < minLength || !data.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not an iochunt cache file');
    if (!data.subarray(data.length - TRAILER.length).equals(TRAILER)) throw new Error('truncated');
    const digestAt = data.length - TRAILER.length - DIGEST_BYTES;
    const digest = createHash('sha256').update(data.subarray(0, digestAt)).digest();
    if (!digest.equals(data.subarray(digestAt, digestAt + DIGEST_BYTES))) throw new Error('checksum mismatch (damaged file)');
    const headerLength = data.readUInt32LE(MAGIC.length);
    const headerStart = MAGIC.length + 4;
    if (headerStart + headerLength > digestAt) throw new Error('bad header length');
    const header = checkHeader(JSON.parse(data.toString('utf8', headerStart, headerStart + headerLength)));
    if (header.format !== CACHE_FORMAT || header.key !== key) throw new Error('written by another version');
    if (INDICATOR_TYPES.reduce((n, t) => n + header.counts[t], 0) !== header.size) throw new Error('bad header (counts)');
    const bodyStart = align8(headerStart + headerLength);
    if (bodyStart + header.bodyLength !== digestAt) throw new Error('wrong length');
    // The file was read into memory of its own from offset 0 (readWhole), so the
    // 8-aligned body is aligned in memory too: typed arrays view it in place.
    const body = new Uint8Array(data.buffer, data.byteOffset + bodyStart, header.bodyLength);
    if (body.byteOffset % 8 !== 0) throw new Error('unaligned body');
    const sections = new Map<string, Uint8Array | Uint32Array>();
    for (const s of header.sections) {
      if (s.offset % 8 !== 0 || s.offset + s.length > body.length || (s.type === 'u32' && s.length % 4 !== 0) || sections.has(s.name)) {
        throw new Error(`bad section ${s.name}`);
      }
      sections.set(s.name, s.type === 'u32' ? new Uint32Array(body.buffer, body.byteOffset + s.offset, s.length / 4) : body.subarray(s.offset, s.offset + s.length));
    }
    const get = <T extends Uint8Array | Uint32Array>(name: string): T => {
      const v = sections.get(name);
      if (!v) throw new Error(`missing section ${name}`);
      return v as T;
    };
    const keys = (name: string) => {
      const t = { blob: get<Uint8Array>(`${name}.blob`), offsets: get<Uint32Array>(`${name}.offsets`), ids: get<Uint32Array>(`${name}.ids`) };
      if (t.offsets.length !== t.ids.length + 1 || t.offsets[t.ids.length] !== t.blob.length) throw new Error(`bad section ${name}`);
      checkOffsets(name, t.offsets, t.blob.length);
      checkIds(name, t.ids, header.size);
      return t;
    };
    const ips = (name: string) => {
      const t = { bytes: get<Uint8Array>(`${name}.bytes`), prefix: get<Uint8Array>(`${name}.prefix`), ids: get<Uint32Array>(`${name}.ids`) };
      const width = name === 'ipv4' ? 4 : 16;
      if (t.prefix.length !== t.ids.length || t.bytes.length !== t.ids.length * width) throw new Error(`bad section ${name}`);
      for (const p of t.prefix) if (p > width * 8) throw new Error(`bad section ${name}.prefix`);
      checkIds(name, t.ids, header.size);
      return t;
    };
    const hsDomainsDb = sections.get('hsDomainsDb') as Uint8Array | undefined;
    const tables: PackedTables = {
      domainMatch: header.domainMatch === 'exact' ? 'exact' : 'subdomain',
      ...(hsDomainsDb ? { hsDomainsDb } : {}),
      ipv4: ips('ipv4'),
      ipv6: ips('ipv6'),
      domains: keys('domains'),
      hashes: keys('hashes'),
      emails: keys('emails'),
      urls: keys('urls'),
      urlsSchemeless: keys('urlsSchemeless'),
    };
    const storeOffsets = get<Uint32Array>('store.offsets');
    if (storeOffsets.length !== header.size + 1) throw new Error('store size mismatch');
    const blobView = get<Uint8Array>('store.blob');
    checkOffsets('store', storeOffsets, blobView.length);
    if (storeOffsets[header.size] !== blobView.length) throw new Error('bad section store.offsets');
    const storeBlob = Buffer.from(blobView.buffer, blobView.byteOffset, blobView.byteLength);
    return {
      tables,
      store: new LazyStore(storeBlob, storeOffsets, header.feedNames),
      counts: header.counts,
      feeds: header.feeds,
      invalidCount: header.invalidCount,
      warnings: header.warnings,
    };
  }

  /** Writes the entry for `key` atomically. Returns an error message, or undefined on success. */
  write(
    key: string,
    entry: {
      tables: PackedTables;
      store: { readonly size: number; get(id: number): StoredIndicator };
      counts: Record<IndicatorType, number>;
      feeds: readonly FeedSummary[];
      invalidCount: number;
      warnings: readonly string[];
    },
  ): string | undefined {
    try {
      makeDirectory(this.dir);
      const feedNames = entry.feeds.map((f) => f.path);
      const feedIndex = new Map(feedNames.map((n, i) => [n, i]));
      // Each record is encoded straight into one growing buffer, newline-terminated
      // (JSON escapes newlines inside strings), its end noted as it is written:
      // no record string outlives its own iteration (a million live strings made
      // most of the write's time garbage collection).
      const storeOffsets = new Uint32Array(entry.store.size + 1);
      let records = Buffer.alloc(Math.max(1024, entry.store.size * 48));
      let used = 0;
      for (let id = 0; id < entry.store.size; id++) {
        const record = encodeIndicator(entry.store.get(id), feedIndex);
        // A UTF-16 code unit is at most 3 UTF-8 bytes.
        if (used + record.length * 3 + 1 > records.length) {
          const grown = Buffer.alloc(Math.max(records.length * 2, used + record.length * 3 + 1));
          records.copy(grown, 0, 0, used);
          records = grown;
        }
        used += records.write(record, used, 'utf8');
        records[used++] = 0x0a;
        storeOffsets[id + 1] = used;
      }
      const joined = records.subarray(0, used);
      const parts: Array<[string, Uint8Array | Uint32Array]> = [...tableSections(entry.tables), ['store.offsets', storeOffsets], ['store.blob', joined]];
      const sections: Section[] = [];
      let offset = 0;
      for (const [name, arr] of parts) {
        sections.push({ name, offset, length: arr.byteLength, type: arr instanceof Uint32Array ? 'u32' : 'u8' });
        offset = align8(offset + arr.byteLength);
      }
      const header: Header = {
        format: CACHE_FORMAT,
        key,
        domainMatch: entry.tables.domainMatch,
        size: entry.store.size,
        counts: entry.counts,
        feeds: entry.feeds,
        feedNames,
        invalidCount: entry.invalidCount,
        warnings: entry.warnings,
        sections,
        bodyLength: offset,
      };
      const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
      const headerEnd = MAGIC.length + 4 + headerBytes.length;
      const bodyStart = align8(headerEnd);
      const digestAt = bodyStart + offset;
      // The sections go straight to their place in the file's bytes (zero-filled: the padding is zeros).
      const out = Buffer.alloc(digestAt + DIGEST_BYTES + TRAILER.length);
      MAGIC.copy(out, 0);
      out.writeUInt32LE(headerBytes.length, MAGIC.length);
      headerBytes.copy(out, MAGIC.length + 4);
      parts.forEach(([, arr], i) => {
        const sec = sections[i] as Section;
        out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), bodyStart + sec.offset);
      });
      createHash('sha256').update(out.subarray(0, digestAt)).digest().copy(out, digestAt);
      TRAILER.copy(out, out.length - TRAILER.length);
      const tmp = join(this.dir, `.iochunt-${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      writeFileSync(tmp, out);
      renameSync(tmp, this.file(key));
      this.prune();
      return undefined;
    } catch (err) {
      return `cannot write the indicator cache in ${this.dir}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  /**
   * Keeps the newest entries and removes temporary files left by killed runs.
   * Only regular files named as iochunt names them are considered, and an
   * entry is removed only when it starts with the cache file's magic bytes.
   */
  private prune(): void {
    const now = Date.now();
    const entries: Array<{ path: string; mtime: number }> = [];
    for (const name of readdirSync(this.dir)) {
      const tmp = TMP_NAME.test(name);
      const legacy = LEGACY_ENTRY_NAME.test(name);
      if (!tmp && !legacy && !ENTRY_NAME.test(name)) continue;
      const path = join(this.dir, name);
      try {
        const st = lstatSync(path);
        if (!st.isFile()) continue;
        if (tmp) {
          if (now - st.mtimeMs > STALE_TMP_MS) unlinkSync(path);
        } else if (startsWithMagic(path)) {
          if (legacy) unlinkSync(path);
          else entries.push({ path, mtime: st.mtimeMs });
        }
      } catch {
        // another run removed it
      }
    }
    entries.sort((a, b) => b.mtime - a.mtime);
    for (const e of entries.slice(KEEP_FILES)) {
      try {
        unlinkSync(e.path);
      } catch {
        // already gone
      }
    }
  }
}
