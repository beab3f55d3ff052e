/**
 * The package version, read once from package.json (it keys the indicator
 * cache and answers `--version`).
 */
import { readFileSync } from 'node:fs';
import { engineStatus } from './engine/native/load-addon.js';

let cached: string | undefined;

/** iochunt's version as in package.json. */
export function version(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    cached = pkg.version;
  }
  return cached;
}

/**
 * The `--version` line: the version first (scripts read the first word), then
 * what a bug report needs: `0.1.0 (node v24.11.1, engine: native, Hyperscan 5.4.2)`.
 */
export function versionLine(): string {
  return `${version()} (node ${process.version}, ${engineStatus()})`;
}

/**
 * `iochunt --version` without building the program (the executable's fast
 * path): prints {@link versionLine} as the program's `--version` does, and
 * resolves to the exit code (2 when stdout cannot be written; a closed pipe is
 * not an error).
 */
export async function printVersion(): Promise<number> {
  const [{ finishStdout, guardStderr, guardStdout }, { stderrReporter }] = await Promise.all([import('./output/stdout.js'), import('./report.js')]);
  guardStdout();
  guardStderr();
  process.stdout.write(`${versionLine()}\n`);
  try {
    await finishStdout();
    return 0;
  } catch (err) {
    stderrReporter().error((err as Error).message);
    return 2;
  }
}
