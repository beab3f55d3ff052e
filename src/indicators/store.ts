/**
 * The indicator store: one entry per distinct indicator (type + canonical
 * name), numbered densely from 0 in load order, remembering every source
 * that listed it. Engines refer to indicators by these numbers.
 */
import type { IndicatorSource, IndicatorType, NormalizedIndicator } from './types.js';
import { INDICATOR_TYPES } from './types.js';

/** An indicator with its id and every feed entry that named it. */
export interface StoredIndicator {
  readonly id: number;
  readonly indicator: NormalizedIndicator;
  readonly sources: IndicatorSource[];
}

/** Read access to indicators by id: what hit output needs. */
export interface IndicatorLookup {
  /** The indicator with this id; throws on an id the store never issued. */
  get(id: number): StoredIndicator;
  readonly size: number;
}

export class IndicatorStore implements IndicatorLookup {
  // One map per type, keyed by the canonical name as is: no key string is
  // built per entry (a million concatenated keys cost more than the parsing).
  private readonly byType = new Map<IndicatorType, Map<string, StoredIndicator>>();
  private readonly list: StoredIndicator[] = [];
  private duplicates = 0;

  /**
   * Adds `indicator` from `source`. The same indicator seen again gains the
   * source (once per feed); returns the indicator's id and whether it was new.
   */
  add(indicator: NormalizedIndicator, source: IndicatorSource): { id: number; isNew: boolean } {
    let names = this.byType.get(indicator.type);
    if (!names) {
      names = new Map();
      this.byType.set(indicator.type, names);
    }
    const existing = names.get(indicator.name);
    if (existing) {
      this.duplicates++;
      if (!existing.sources.some((s) => s.feed === source.feed)) existing.sources.push(source);
      return { id: existing.id, isNew: false };
    }
    const stored: StoredIndicator = { id: this.list.length, indicator, sources: [source] };
    names.set(indicator.name, stored);
    this.list.push(stored);
    return { id: stored.id, isNew: true };
  }

  /** The indicator with this id; throws on an id the store never issued. */
  get(id: number): StoredIndicator {
    const s = this.list[id];
    if (!s) throw new RangeError(`unknown indicator id ${id}`);
    return s;
  }

  /** Looks an indicator up by type and canonical name. */
  find(type: IndicatorType, name: string): StoredIndicator | undefined {
    return this.byType.get(type)?.get(name);
  }

  get size(): number {
    return this.list.length;
  }

  /** Entries that repeated an indicator already in the store. */
  get duplicateCount(): number {
    return this.duplicates;
  }

  /** All indicators in id order. */
  all(): readonly StoredIndicator[] {
    return this.list;
  }

  /** Number of distinct indicators per type. */
  countsByType(): Record<IndicatorType, number> {
    const counts = Object.fromEntries(INDICATOR_TYPES.map((t) => [t, 0])) as Record<IndicatorType, number>;
    for (const s of this.list) counts[s.indicator.type]++;
    return counts;
  }
}
