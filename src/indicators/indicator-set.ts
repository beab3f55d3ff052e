/**
 * Versions of the indicator set, for the retro-hunt: each set the history
 * was checked against has an id and a snapshot of its members (type and
 * canonical name), so that a later run can compile a matcher from exactly
 * the indicators that are new since.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../registry/atomic-file.js';
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

/** Snapshots of indicator sets in one folder (`ID.keys.gz`). */
export class IndicatorSetSnapshots {
  constructor(private readonly dir: string) {}

  private file(id: string): string {
    return join(this.dir, `${id}.keys.gz`);
  }

  has(id: string): boolean {
    return existsSync(this.file(id));
  }

  /** Stores the members of `store` as set `id` (atomically), unless already stored. */
  save(id: string, store: IndicatorLookup): void {
    if (this.has(id)) return;
    mkdirSync(this.dir, { recursive: true });
    const lines: string[] = new Array<string>(store.size);
    for (let i = 0; i < store.size; i++) {
      const s = store.get(i).indicator;
      lines[i] = keyOf(s.type, s.name);
    }
    writeFileAtomic(this.file(id), gzipSync(Buffer.from(lines.join('\n'))));
  }

  /** The member keys of set `id`, or undefined when it was not stored (or is unreadable). */
  load(id: string): Set<string> | undefined {
    try {
      const text = gunzipSync(readFileSync(this.file(id))).toString('utf8');
      return new Set(text === '' ? [] : text.split('\n'));
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
      const m = /^([0-9a-f]{32})\.keys\.gz$/.exec(n);
      if (m && !keep.has(m[1] as string)) {
        try {
          unlinkSync(join(this.dir, n));
        } catch {
          // gone already
        }
      }
    }
  }
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
