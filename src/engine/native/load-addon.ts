/**
 * Finds and loads the native addon (`native/build/Release/iochunt.node`),
 * collecting the reason when it cannot, so that the caller can say how to fix
 * it. `IOCHUNT_NATIVE_PATH` points at another build (and then only that one is tried).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './addon-types.js';

/**
 * The command that rebuilds the addon of the iochunt at `root`: `npm run
 * build:native` in a clone, `npm rebuild -g iochunt` in a global install
 * (npm's `{prefix}/lib/node_modules/iochunt`), `npm rebuild iochunt` in a
 * project's node_modules. npm's rebuild reruns the install script with npm's
 * own node-gyp, so it needs no development dependency.
 */
export function rebuildCommand(root: string = packageRoot()): string {
  const modules = dirname(root);
  if (basename(modules) !== 'node_modules') return 'npm run build:native';
  return basename(dirname(modules)) === 'lib' ? 'npm rebuild -g iochunt' : 'npm rebuild iochunt';
}

/** What to do when the addon is missing, with the rebuild command of this install. */
export function nativeFixHint(root: string = packageRoot()): string {
  return (
    'To fix it: install Hyperscan (Debian/Ubuntu: apt-get install libhyperscan-dev, or libvectorscan-dev on ARM), ' +
    `pkg-config and a C++ toolchain (g++, make, python3), then rebuild with \`${rebuildCommand(root)}\`.`
  );
}

export const NATIVE_FIX_HINT = nativeFixHint();

/** Why the addon did not load: no build, a build whose Hyperscan library is missing, or another load error. */
export type AddonMissing = 'build' | 'library' | 'load';

export type AddonLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string; missing: AddonMissing };

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
  let missing: AddonMissing = 'build';
  const require = createRequire(import.meta.url);
  for (const path of candidates) {
    if (!existsSync(path)) {
      reasons.push(`${path} is not built`);
      missing = 'build';
      continue;
    }
    try {
      const addon = require(path) as NativeAddon;
      cached = { ok: true, addon, path };
      return cached;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      reasons.push(`${path} failed to load: ${message}`);
      // dlopen names the shared library it could not find: libhs.so.5 (Hyperscan) or libhs.so.5 of Vectorscan.
      missing = /\blibhs\b|cannot open shared object file/.test(message) ? 'library' : 'load';
    }
  }
  cached = { ok: false, reason: reasons.join('; '), missing };
  return cached;
}

/**
 * The engine `--engine auto` would use, and why, for `iochunt --version`:
 * `engine: native, Hyperscan 5.4.2`, or `engine: js, Hyperscan library
 * missing (…)` / `native build missing (…)` / `native addon failed to load (…)`.
 */
export function engineStatus(): string {
  const load = loadNativeAddon();
  if (load.ok) {
    let hyperscan = 'unknown';
    try {
      hyperscan = load.addon.versions().hyperscan.split(' ')[0] ?? hyperscan;
    } catch {
      // An addon from another version without versions(): still the native engine.
    }
    return `engine: native, Hyperscan ${hyperscan}`;
  }
  const why = { build: 'native build missing', library: 'Hyperscan library missing', load: 'native addon failed to load' }[load.missing];
  return `engine: js, ${why} (${load.reason}; rebuild with \`${rebuildCommand()}\`)`;
}
