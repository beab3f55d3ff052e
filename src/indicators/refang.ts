/**
 * Undo the "defanging" that threat reports apply so that indicators cannot be
 * clicked: `hxxp://evil[.]example`, `bad(.)example`, `user[at]evil{.}example`.
 */

const REPLACEMENTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^h(?:xx|XX|\*\*)p(s?)(?=[:[])/i, 'http$1'],
  [/^fxp(?=[:[])/i, 'ftp'],
  [/\[:\/\/\]|\(:\/\/\)|\{:\/\/\}/g, '://'],
  [/\[(?:\.|dot)\]|\((?:\.|dot)\)|\{(?:\.|dot)\}/gi, '.'],
  [/\[:\]|\(:\)|\{:\}/g, ':'],
  [/\[(?:@|at)\]|\((?:@|at)\)|\{(?:@|at)\}/gi, '@'],
  [/\[\/\]/g, '/'],
];

const LOOKS_DEFANGED = /[[({]|^h(?:xx|\*\*)p|^fxp/i;

/**
 * Returns `value` with the common defanging conventions undone: `hxxp`,
 * `hxxps`, `[.]`, `(.)`, `{.}`, `[dot]`, `[:]`, `[://]`, `[@]`, `[at]`, `[/]`.
 * Values without any of these come back unchanged (the same string).
 */
export function refang(value: string): string {
  if (!LOOKS_DEFANGED.test(value)) return value;
  let out = value;
  for (const [pattern, replacement] of REPLACEMENTS) out = out.replace(pattern, replacement);
  return out;
}
