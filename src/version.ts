/**
 * The package version, read once from package.json (it keys the indicator
 * cache and answers `--version`).
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** iochunt's version as in package.json. */
export function version(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    cached = pkg.version;
  }
  return cached;
}
