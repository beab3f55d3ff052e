/**
 * Picks the matching engine: `native` (the Hyperscan-backed addon), `js`
 * (the TypeScript reference engine) or `auto` (native when it loads, else
 * js with one warning saying why and how to fix it).
 */
import { NativeUnavailableError } from '../errors.js';
import type { Reporter } from '../report.js';
import type { CompiledIndicators } from './compile.js';
import type { MatchEngine } from './engine.js';
import { JsEngine } from './js/js-engine.js';
import { loadNativeAddon, NATIVE_FIX_HINT } from './native/load-addon.js';
import { NativeEngine } from './native/native-engine.js';

export type EngineChoice = 'auto' | 'native' | 'js';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'native', 'js'];

/** Builds the chosen engine over `compiled`. */
export async function createEngine(choice: EngineChoice, compiled: CompiledIndicators, reporter: Reporter): Promise<MatchEngine> {
  if (choice === 'js') return new JsEngine(compiled);
  const addon = loadNativeAddon();
  if (!addon.ok) {
    if (choice === 'native') {
      throw new NativeUnavailableError(`the native engine cannot be loaded: ${addon.reason}. ${NATIVE_FIX_HINT}`);
    }
    reporter.warn(`native engine unavailable (${addon.reason}); using the slower TypeScript engine. ${NATIVE_FIX_HINT}`);
    return new JsEngine(compiled);
  }
  return NativeEngine.create(addon.addon, compiled);
}
