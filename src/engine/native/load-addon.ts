/**
 * Finds and loads the native addon (`native/build/Release/iochunt.node`),
 * collecting the reason when it cannot, so that the caller can say how to fix
 * it. `IOCHUNT_NATIVE_PATH` points at another build (and then only that one is tried).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './addon-types.js';

export const NATIVE_FIX_HINT =
  'To fix it: install Hyperscan (Debian/Ubuntu: apt-get install libhyperscan-dev, or libvectorscan-dev on ARM) and pkg-config, then rebuild with `npm run build:native`.';

export type AddonLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

let cached: AddonLoad | undefined;

/** The package root (the folder holding package.json), found from this file's location. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** Loads the addon once per process. */
export function loadNativeAddon(): AddonLoad {
  if (cached) return cached;
  // IOCHUNT_NATIVE_PATH, when set, is the only candidate: a user who points at
  // a build must not silently get another one.
  const candidates = process.env.IOCHUNT_NATIVE_PATH
    ? [process.env.IOCHUNT_NATIVE_PATH]
    : [join(packageRoot(), 'native', 'build', 'Release', 'iochunt.node')];
  const reasons: string[] = [];
  const require = createRequire(import.meta.url);
  for (const path of candidates) {
    if (!existsSync(path)) {
      reasons.push(`${path} is not built`);
      continue;
    }
    try {
      const addon = require(path) as NativeAddon;
      cached = { ok: true, addon, path };
      return cached;
    } catch (err) {
      reasons.push(`${path} failed to load: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  cached = { ok: false, reason: reasons.join('; ') };
  return cached;
}
