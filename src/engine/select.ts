/**
 * Picks the matching engine: `native` (the Hyperscan-backed addon), `js`
 * (the TypeScript reference engine) or `auto` (native when it loads, else
 * js with one warning saying why and how to fix it).
 */
import { NativeUnavailableError } from '../errors.js';
import type { Reporter } from '../report.js';
import type { CompiledIndicators } from './compile.js';
import type { EngineChoice } from './choice.js';
import type { MatchEngine } from './engine.js';
import { loadNativeAddon, NATIVE_FIX_HINT } from './native/load-addon.js';
import { NativeEngine, packTables, unpackTables, type PackedTables } from './native/native-engine.js';

export { ENGINE_CHOICES, type EngineChoice } from './choice.js';

/** The tables an engine is built from, in whichever form is at hand; each form is made on demand. */
export interface EngineTables {
  compiled(): CompiledIndicators;
  packed(): PackedTables;
}

/** Engine tables from freshly compiled indicators. */
export function tablesFromCompiled(compiled: CompiledIndicators): EngineTables {
  let packed: PackedTables | undefined;
  return { compiled: () => compiled, packed: () => (packed ??= packTables(compiled)) };
}

/** Engine tables from packed ones (the indicator cache). */
export function tablesFromPacked(packed: PackedTables): EngineTables {
  let compiled: CompiledIndicators | undefined;
  return { compiled: () => (compiled ??= unpackTables(packed)), packed: () => packed };
}

/** Builds the chosen engine over `tables`. */
export async function createEngine(choice: EngineChoice, tables: EngineTables, reporter: Reporter): Promise<MatchEngine> {
  // The TypeScript engine is loaded only when it is used.
  if (choice === 'js') return new (await import('./js/js-engine.js')).JsEngine(tables.compiled());
  const addon = loadNativeAddon();
  if (!addon.ok) {
    if (choice === 'native') {
      throw new NativeUnavailableError(`the native engine cannot be loaded: ${addon.reason}. ${NATIVE_FIX_HINT}`);
    }
    reporter.warn(`native engine unavailable (${addon.reason}); using the slower TypeScript engine. ${NATIVE_FIX_HINT}`);
    return new (await import('./js/js-engine.js')).JsEngine(tables.compiled());
  }
  return NativeEngine.fromPacked(addon.addon, tables.packed());
}
