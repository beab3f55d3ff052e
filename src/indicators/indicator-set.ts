/**
 * Versions of the indicator set, for the retro-hunt: each set the history
 * was checked against has an id and a snapshot of its members (type and
 * canonical name), so that a later run can compile a matcher from exactly
 * the indicators that are new since.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadFeeds } from './load.js';
import { writeFileAtomicSync } from '../fs/atomic-file.js';
import { IndicatorStore, type IndicatorLookup } from './store.js';

/** The identity of one indicator: type, a tab, the canonical name. */
function keyOf(type: string, name: string): string {
  return `${type}\t${name}`;
}

/**
 * The id of an indicator set: SHA-256 over its members' keys in store order
 * (the same feeds in the same order give the same id; a reordered feed gives
 * another id whose difference from the first is empty, which costs a
 * comparison and no rescan).
 */
export function indicatorSetId(store: IndicatorLookup): string {
  const h = createHash('sha256');
  for (let id = 0; id < store.size; id++) {
    const s = store.get(id).indicator;
    h.update(keyOf(s.type, s.name));
    h.update('\n');
  }
  return h.digest('hex').slice(0, 32);
}

/**
 * The id of the indicator set the feeds at `paths` make with `options`,
 * from their bytes (cheap: nothing is parsed). The same bytes and options
 * give the same id; any change gives another id, whose difference from the
 * earlier set {@link setDifference} computes (possibly empty). `readPaths`
 * (same order) reads the bytes from copies of the feeds named by `paths`.
 */
export async function feedSetId(paths: readonly string[], options: Readonly<Record<string, unknown>>, readPaths: readonly string[] = paths): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify(options));
  for (const [i, p] of paths.entries()) {
    h.update(`\0${p.length}\0`);
    for await (const chunk of createReadStream(readPaths[i] ?? p)) h.update(chunk as Buffer);
  }
  return h.digest('hex').slice(0, 32);
}

/** How the feeds of a set were read (what `loadFeeds` needs to read them again). */
export interface SetReadOptions {
  readonly format?: string;
  readonly mispAll?: boolean;
}

/**
 * Snapshots of indicator sets in one folder: `ID/` holds copies of the feed
 * files the set was loaded from (copying costs no parsing, so a run whose
 * set is already recorded pays nothing), and `ID/manifest.json` how they were
 * read. The members are parsed again only when a later set is compared with it.
 */
export class IndicatorSetSnapshots {
  constructor(private readonly dir: string) {}

  private folder(id: string): string {
    return join(this.dir, id);
  }

  has(id: string): boolean {
    return existsSync(join(this.folder(id), 'manifest.json'));
  }

  /** Records set `id` as the feeds at `paths` read with `options`, unless already recorded. */
  save(id: string, paths: readonly string[], options: SetReadOptions): void {
    if (this.has(id)) return;
    const folder = this.folder(id);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    const names = paths.map((p, i) => {
      const name = `${i}-${basename(p)}`;
      copyFileSync(p, join(folder, name));
      return name;
    });
    writeFileAtomicSync(join(folder, 'manifest.json'), `${JSON.stringify({ feeds: names, sources: paths, ...options })}\n`);
  }

  /** True when the snapshot of `id` holds the bytes that give `id` (the feeds at `paths` with `options`). */
  async matches(id: string, paths: readonly string[], options: Readonly<Record<string, unknown>>): Promise<boolean> {
    try {
      const folder = this.folder(id);
      const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as { feeds: string[] };
      if (manifest.feeds.length !== paths.length) return false;
      return (await feedSetId(paths, options, manifest.feeds.map((n) => join(folder, n)))) === id;
    } catch {
      return false;
    }
  }

  /** Removes the snapshot of `id`. */
  remove(id: string): void {
    rmSync(this.folder(id), { recursive: true, force: true });
  }

  /** The member keys of set `id`, or undefined when it was not recorded (or cannot be read). */
  async load(id: string): Promise<Set<string> | undefined> {
    try {
      const folder = this.folder(id);
      const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as { feeds: string[] } & SetReadOptions;
      const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined };
      const loaded = await loadFeeds(
        manifest.feeds.map((n) => join(folder, n)),
        { strict: false, reporter: quiet, ...(manifest.mispAll ? { mispAll: true } : {}), ...(manifest.format ? { format: manifest.format } : {}) },
      );
      const keys = new Set<string>();
      for (const s of loaded.store.all()) keys.add(keyOf(s.indicator.type, s.indicator.name));
      return keys;
    } catch {
      return undefined;
    }
  }

  /** Removes every snapshot whose id is not in `keep`. */
  prune(keep: ReadonlySet<string>): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (/^[0-9a-f]{32}$/.test(n) && !keep.has(n)) rmSync(join(this.dir, n), { recursive: true, force: true });
    }
  }
}

/** The member keys of `store`, as {@link IndicatorSetSnapshots.load} gives them for a recorded set (no parsing). */
export function setKeys(store: IndicatorLookup): Set<string> {
  const keys = new Set<string>();
  for (let id = 0; id < store.size; id++) {
    const s = store.get(id).indicator;
    keys.add(keyOf(s.type, s.name));
  }
  return keys;
}

/** What changed between an earlier set and the current one. */
export interface SetDifference {
  /** The indicators of the current set the earlier one lacked, with their sources. */
  readonly added: IndicatorStore;
  /** Members of the earlier set that the current one no longer has. */
  readonly removed: number;
}

/** The indicators of `current` that are not in `earlier` (keys from {@link IndicatorSetSnapshots.load}). */
export function setDifference(current: IndicatorLookup, earlier: ReadonlySet<string>): SetDifference {
  const added = new IndicatorStore();
  let kept = 0;
  for (let id = 0; id < current.size; id++) {
    const s = current.get(id);
    if (earlier.has(keyOf(s.indicator.type, s.indicator.name))) {
      kept++;
      continue;
    }
    for (const src of s.sources) added.add(s.indicator, src);
  }
  return { added, removed: earlier.size - kept };
}
