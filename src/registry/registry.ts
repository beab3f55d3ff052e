/**
 * The registry: which files were read how far, with which indicators. It
 * decides for each file found whether it is new, grown, renamed, rotated
 * (compressed or copied away), truncated or unchanged, by device + inode
 * AND a fingerprint of its first bytes; it tracks what was read and commits
 * it only when told that the hits up to there were delivered. `sweep` uses it
 * once per run; `tail` uses the same rules while it follows files.
 *
 * Identity rules (see README "Sweeps"):
 * - an entry applies to a file only when both its inode and its fingerprint
 *   (SHA-256 of the first {@link FP_LEN} decompressed bytes, or of the
 *   shorter prefix it had) agree, and the {@link TAIL_LEN} bytes before the
 *   committed offset are unchanged;
 * - a file with an unknown inode whose fingerprint and tail agree with an
 *   entry continues it (a rotation that compressed or copied the file);
 * - same inode, other content (truncation, rewrite, inode reuse): a new
 *   generation from offset 0; the old entry stays, detached, so that a copy
 *   made by copytruncate can still claim it.
 */
import { randomBytes } from 'node:crypto';
import { FileReplacedError, openDecompressedRange, readHead, readPlainAt, sha256, type FileHead } from '../input/file-range.js';
import type { FileEntry, RegistryState } from './state-file.js';

/** Bytes of a file's start that make its fingerprint. */
export const FP_LEN = 1024;
/** Bytes before the committed offset whose hash detects a rewrite. */
export const TAIL_LEN = 256;

/** A regular file found by the path expansion, as stat saw it. */
export interface SeenFile {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** What the registry made of a file. */
export type FileStatus =
  /** Not seen before: read from offset 0. */
  | 'new'
  /** Same file, nothing new: not read. */
  | 'unchanged'
  /** Same file (perhaps renamed): read from the committed offset. */
  | 'resumed'
  /** Another inode carrying a known file's content (compressed or copied rotation): read from its offset. */
  | 'rotated'
  /** Same inode, other content (truncated, rewritten, inode reused): a new generation from 0. */
  | 'truncated';

/** One file of a run: its entry, what to read, and what was read. */
export interface PlannedFile {
  readonly file: SeenFile;
  readonly entry: FileEntry;
  readonly status: FileStatus;
  readonly compression: string;
  /** The file is no longer written to (compressed, or renamed away and idle): a last line without newline is read too. */
  readonly finished: boolean;
  /** Decompressed offset where new bytes start. */
  readonly start: number;
  /** For plain files: the size when planned (bytes after it wait for the next run). */
  readonly end?: number;
  /** Highest offset whose hits were handed to the sink (live reading). */
  pending: number;
  /** The bytes just before `pending` (at most {@link TAIL_LEN}). */
  pendingTail: Buffer;
  /** Retro-hunt progress not yet committed. */
  retroPending?: number;
  /** Marked read to its end without being scanned ({@link Registry.skipTo}). */
  skipped?: boolean;
  /** A copy of this entry's file, which is also planned (copytruncate's copy, a compressor's output beside its input). */
  readonly copyOf?: FileEntry;
}

/** Counts of a run, for the summary. */
export interface RegistryCounts {
  new: number;
  unchanged: number;
  resumed: number;
  rotated: number;
  truncated: number;
  forgotten: number;
}

function newId(): string {
  return randomBytes(8).toString('hex');
}

function inodeKey(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

function prefixMatches(entry: FileEntry, head: Buffer): boolean {
  if (entry.fpLen > head.length) return false;
  return sha256(head.subarray(0, entry.fpLen)) === entry.fp;
}

export interface PlanOptions {
  /** The indicator set of this run: new entries are checked against it. */
  readonly setId: string;
  /** A renamed plain file idle this long counts as finished (default 30 s). */
  readonly renamedIdleMs?: number;
  /**
   * Paths found outside the followed paths (`tail` looks for a followed file
   * renamed away beside its old path): they count as renamed away.
   */
  readonly away?: ReadonlySet<string>;
  /** Entries already planned in this cycle (by an earlier call): a file carrying their content is a copy. */
  readonly claimed?: ReadonlySet<FileEntry>;
  readonly now?: number;
  /** Called for a file that could not be fingerprinted (vanished, unreadable). */
  readonly onError?: (file: SeenFile, err: unknown) => void;
}

/** The file registry over one {@link RegistryState}; see the module comment for the rules. */
export class Registry {
  readonly counts: RegistryCounts = { new: 0, unchanged: 0, resumed: 0, rotated: 0, truncated: 0, forgotten: 0 };

  constructor(readonly state: RegistryState) {}

  private newEntry(f: SeenFile, head: FileHead, setId: string, now: number): FileEntry {
    const entry: FileEntry = {
      id: newId(),
      dev: f.dev,
      ino: f.ino,
      path: f.path,
      compression: head.compression,
      fp: sha256(head.bytes),
      fpLen: head.bytes.length,
      size: 0,
      mtimeMs: 0,
      offset: 0,
      tail: sha256(Buffer.alloc(0)),
      tailLen: 0,
      eof: false,
      checkedWith: setId,
      firstSeenMs: now,
      lastSeenMs: now,
    };
    this.state.files.push(entry);
    return entry;
  }

  /** Does the content at `f` continue `e` past its committed offset? (reads the tail before the offset) */
  private async tailAgrees(f: SeenFile, e: FileEntry, compression: string): Promise<boolean> {
    if (e.tailLen === 0) return true;
    if (compression === 'none') {
      if (f.size < e.offset) return false;
      const t = await readPlainAt(f.path, e.offset - e.tailLen, e.tailLen, f);
      return t.length === e.tailLen && sha256(t) === e.tail;
    }
    const opened = await openDecompressedRange(f.path, e.offset, e.offset, { hash: e.tail, len: e.tailLen });
    if (!opened) return false;
    for await (const _ of opened.chunks) {
      // nothing: the range is empty; this closes the stream
    }
    return true;
  }

  /**
   * True when the file at `f` is the file of entry `e` (same inode) or
   * carries its content (fingerprint and the bytes before its offset agree):
   * what `tail` asks of a file beside a followed one that went missing.
   */
  async continues(f: SeenFile, e: FileEntry): Promise<boolean> {
    if (f.dev === e.dev && f.ino === e.ino && !e.detached) return true;
    if (e.offset === 0 || e.fpLen === 0) return false;
    const h = await readHead(f.path, FP_LEN);
    if (h.identity && (h.identity.dev !== f.dev || h.identity.ino !== f.ino)) return false;
    return prefixMatches(e, h.bytes) && (await this.tailAgrees(f, e, h.compression));
  }

  /**
   * Matches the files found in this run to the registry's entries and says
   * what to read of each (see {@link FileStatus}). Files are taken in the
   * order given; the same inode twice is planned once.
   */
  async plan(files: readonly SeenFile[], options: PlanOptions): Promise<PlannedFile[]> {
    const now = options.now ?? Date.now();
    const renamedIdleMs = options.renamedIdleMs ?? 30_000;
    const byInode = new Map<string, FileEntry>();
    for (const e of this.state.files) {
      if (e.detached) continue;
      const k = inodeKey(e.dev, e.ino);
      const other = byInode.get(k);
      if (!other || other.lastSeenMs < e.lastSeenMs) byInode.set(k, e);
    }
    const claimed = new Set<FileEntry>(options.claimed ?? []);
    const seen = new Set<string>();
    const planned: PlannedFile[] = [];
    const unmatched: Array<{ f: SeenFile; head: FileHead; reused?: boolean }> = [];

    const plan = (f: SeenFile, entry: FileEntry, status: FileStatus, compression: string, copyOf?: FileEntry): void => {
      const renamed = f.path !== entry.path || options.away?.has(f.path) === true;
      // Renamed once, renamed for good: the file stays "away" across later plans.
      if (renamed && status !== 'new' && status !== 'truncated') entry.rotatedAway = true;
      const finished = compression !== 'none' || ((renamed || entry.rotatedAway === true) && now - f.mtimeMs >= renamedIdleMs);
      const start = status === 'new' || status === 'truncated' ? 0 : entry.offset;
      entry.path = f.path;
      entry.dev = f.dev;
      entry.ino = f.ino;
      entry.compression = compression;
      entry.lastSeenMs = now;
      delete entry.detached;
      this.counts[status]++;
      planned.push({
        file: f,
        entry,
        status,
        compression,
        finished,
        start,
        ...(compression === 'none' ? { end: f.size } : {}),
        pending: start,
        pendingTail: Buffer.alloc(0),
        ...(copyOf ? { copyOf } : {}),
      });
    };

    const head = async (f: SeenFile): Promise<FileHead | undefined> => {
      try {
        const h = await readHead(f.path, FP_LEN);
        // Replaced since it was stat'ed (a rotation in between): planned at the next look, as it is then.
        if (h.identity && (h.identity.dev !== f.dev || h.identity.ino !== f.ino)) return undefined;
        return h;
      } catch (err) {
        options.onError?.(f, err);
        return undefined;
      }
    };

    for (const f of files) {
      const k = inodeKey(f.dev, f.ino);
      if (seen.has(k)) continue;
      seen.add(k);
      const e = byInode.get(k);
      if (!e) {
        const h = await head(f);
        if (h) unmatched.push({ f, head: h });
        continue;
      }
      if (e.eof && f.size === e.size && f.mtimeMs === e.mtimeMs) {
        claimed.add(e);
        e.path = f.path;
        e.lastSeenMs = now;
        this.counts.unchanged++;
        planned.push({ file: f, entry: e, status: 'unchanged', compression: e.compression, finished: true, start: e.offset, pending: e.offset, pendingTail: Buffer.alloc(0) });
        continue;
      }
      const h = await head(f);
      if (!h) continue;
      let same = h.compression === e.compression && prefixMatches(e, h.bytes);
      if (same) {
        try {
          same = await this.tailAgrees(f, e, h.compression);
        } catch (err) {
          if (!(err instanceof FileReplacedError)) options.onError?.(f, err);
          continue;
        }
      }
      if (!same) {
        // Truncated, rewritten, or the inode was reused (logrotate's copy may get the
        // inode of the file it just compressed): the old content may live on in a copy,
        // and this file may carry another known file's content.
        e.detached = true;
        unmatched.push({ f, head: h, reused: true });
        continue;
      }
      claimed.add(e);
      if (e.fpLen < h.bytes.length) {
        e.fp = sha256(h.bytes);
        e.fpLen = h.bytes.length;
      }
      plan(f, e, 'resumed', h.compression);
    }

    // Entries a file with an unknown inode may continue, by fingerprint length and hash:
    // one hash of a file's head per distinct length, not one per entry.
    const byFingerprint = new Map<number, Map<string, FileEntry[]>>();
    for (const e of this.state.files) {
      if (e.offset === 0 || e.fpLen === 0) continue;
      let ofLen = byFingerprint.get(e.fpLen);
      if (!ofLen) byFingerprint.set(e.fpLen, (ofLen = new Map()));
      const list = ofLen.get(e.fp);
      if (list) list.push(e);
      else ofLen.set(e.fp, [e]);
    }
    const sameStart = (head: Buffer): FileEntry[] => {
      const out: FileEntry[] = [];
      for (const [len, ofLen] of byFingerprint) {
        if (len > head.length) continue;
        const found = ofLen.get(sha256(head.subarray(0, len)));
        if (found) out.push(...found);
      }
      // Entries re-keyed meanwhile are checked against their current fingerprint.
      return out.filter((e) => prefixMatches(e, head));
    };
    for (const { f, head: h, reused } of unmatched) {
      const candidates = sameStart(h.bytes)
        // Entries nobody holds first (a rotated or copied file), then copies of held ones; newest first.
        .sort((a, b) => Number(claimed.has(a)) - Number(claimed.has(b)) || b.lastSeenMs - a.lastSeenMs);
      let match: FileEntry | undefined;
      let failed = false;
      for (const c of candidates) {
        try {
          if (await this.tailAgrees(f, c, h.compression)) {
            match = c;
            break;
          }
        } catch (err) {
          // Unreadable, or replaced since it was stat'ed (a rotation): not planned now rather than
          // taken for a new file (it would be read again from 0); the next look sees it as it is.
          if (!(err instanceof FileReplacedError)) options.onError?.(f, err);
          failed = true;
          break;
        }
      }
      if (failed) continue;
      if (!match) {
        plan(f, this.newEntry(f, h, options.setId, now), reused ? 'truncated' : 'new', h.compression);
        continue;
      }
      let entry = match;
      if (claimed.has(match)) {
        // A copy of a file that is still there (copytruncate before the truncation, cp): it shares the history.
        entry = { ...match, id: newId(), firstSeenMs: now, ...(match.retro ? { retro: { ...match.retro } } : {}) };
        delete entry.detached;
        this.state.files.push(entry);
      }
      claimed.add(entry);
      if (entry.fpLen < h.bytes.length) {
        entry.fp = sha256(h.bytes);
        entry.fpLen = h.bytes.length;
      }
      plan(f, entry, 'rotated', h.compression, entry !== match ? match : undefined);
    }
    return planned;
  }

  /** Notes that the hits of bytes up to `endOffset` were handed to the sink; `block` ends there. */
  advance(p: PlannedFile, endOffset: number, block: Buffer): void {
    p.pending = endOffset;
    p.pendingTail =
      block.length >= TAIL_LEN ? Buffer.from(block.subarray(block.length - TAIL_LEN)) : Buffer.concat([p.pendingTail, block]).subarray(-TAIL_LEN);
  }

  /**
   * Marks `p` as read up to `offset` without scanning it (`tail --from end`
   * for a file it has no state for); `tail` is the bytes just before `offset`.
   * Committed like a read.
   */
  skipTo(p: PlannedFile, offset: number, tail: Buffer): void {
    p.pending = offset;
    p.pendingTail = Buffer.from(tail.subarray(Math.max(0, tail.length - TAIL_LEN)));
  }

  /** Notes retro-hunt progress (hits up to `endOffset` handed to the sink) under indicator set `setId`. */
  advanceRetro(p: PlannedFile, endOffset: number): void {
    p.retroPending = endOffset;
  }

  /**
   * Commits what was handed to the sink: call only after the sink confirmed
   * delivery of everything written so far (flushed, fsynced, acknowledged).
   * Returns true when a position moved.
   */
  commit(planned: readonly PlannedFile[], retroSet: string | undefined): boolean {
    let changed = false;
    for (const p of planned) {
      const e = p.entry;
      if (p.status !== 'unchanged' && p.pending !== e.offset) {
        changed = true;
        e.offset = p.pending;
        e.tailLen = Math.min(p.pendingTail.length, e.offset);
        e.tail = sha256(p.pendingTail.subarray(p.pendingTail.length - e.tailLen));
      }
      if (retroSet !== undefined && p.retroPending !== undefined) {
        e.retro = { set: retroSet, upto: p.retroPending };
        changed = true;
      }
    }
    return changed;
  }

  /** A live read of `p` ended (an error stops at the last committed block); records the size it was planned at. */
  finishLive(p: PlannedFile, error: unknown): void {
    if (error !== undefined) return;
    const e = p.entry;
    e.size = p.file.size;
    e.mtimeMs = p.file.mtimeMs;
    e.eof = p.end === undefined ? true : p.pending >= p.end;
  }

  /** The retro-hunt of `p` under `setId` is complete: `[0, offset)` is now checked against it. */
  finishRetro(p: PlannedFile, setId: string): void {
    p.entry.checkedWith = setId;
    delete p.entry.retro;
    delete p.retroPending;
  }

  /** Drops entries not seen for `afterMs`; returns how many. */
  forget(afterMs: number, now = Date.now()): number {
    const before = this.state.files.length;
    this.state.files = this.state.files.filter((e) => now - e.lastSeenMs < afterMs);
    const n = before - this.state.files.length;
    this.counts.forgotten += n;
    return n;
  }
}
