/**
 * Test helpers: build engines over a list of indicator strings and report
 * what a line matches, for every engine that is available here.
 */
import { compileIndicators, type DomainMatch } from '../../src/engine/compile.js';
import type { MatchEngine } from '../../src/engine/engine.js';
import { JsEngine } from '../../src/engine/js/js-engine.js';
import { loadNativeAddon } from '../../src/engine/native/load-addon.js';
import { NativeEngine } from '../../src/engine/native/native-engine.js';
import { normalizeIndicator } from '../../src/indicators/normalize.js';
import { IndicatorStore } from '../../src/indicators/store.js';

export type EngineName = 'js' | 'native';

/** Engines to test. Native is required when IOCHUNT_REQUIRE_NATIVE=1 (CI). */
export function engineNames(): EngineName[] {
  const native = loadNativeAddon();
  if (!native.ok && process.env.IOCHUNT_REQUIRE_NATIVE === '1') {
    throw new Error(`IOCHUNT_REQUIRE_NATIVE=1 but the native addon does not load: ${native.reason}`);
  }
  return native.ok ? ['js', 'native'] : ['js'];
}

export function storeOf(indicators: readonly string[]): IndicatorStore {
  const store = new IndicatorStore();
  indicators.forEach((raw, i) => {
    const r = normalizeIndicator(raw);
    if (!r.ok) throw new Error(`test indicator ${raw} is invalid: ${r.reason}`);
    store.add(r.indicator, { feed: 'test', line: i + 1 });
  });
  return store;
}

export function makeEngine(name: EngineName, store: IndicatorStore, domainMatch: DomainMatch = 'subdomain'): MatchEngine {
  const compiled = compileIndicators(store, { domainMatch });
  if (name === 'js') return new JsEngine(compiled);
  const addon = loadNativeAddon();
  if (!addon.ok) throw new Error(addon.reason);
  return NativeEngine.create(addon.addon, compiled);
}

export interface Found {
  /** Canonical indicator name. */
  readonly name: string;
  /** Text of the line that matched. */
  readonly atomic: string;
}

/** Every (indicator, matched text) pair `engine` finds in `text` (all lines). */
export function findAll(engine: MatchEngine, store: IndicatorStore, text: string | Buffer): Found[] {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const hits = engine.scan(buf);
  const out: Found[] = [];
  for (let i = 0; i < hits.length; i += 4) {
    out.push({
      name: store.get(hits[i + 3] as number).indicator.name,
      atomic: buf.subarray(hits[i + 1] as number, hits[i + 2] as number).toString('utf8'),
    });
  }
  return out;
}

/**
 * A matcher over `indicators` for one engine: `names(line)` lists the
 * canonical names of the indicators the line hits (sorted, unique).
 */
export function matcher(name: EngineName, indicators: readonly string[], domainMatch: DomainMatch = 'subdomain') {
  const store = storeOf(indicators);
  const engine = makeEngine(name, store, domainMatch);
  return {
    store,
    engine,
    names(line: string | Buffer): string[] {
      return [...new Set(findAll(engine, store, line).map((f) => f.name))].sort();
    },
    found(line: string | Buffer): Found[] {
      return findAll(engine, store, line);
    },
  };
}
