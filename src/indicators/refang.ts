/**
 * Undo the "defanging" that threat reports apply so that indicators cannot be
 * clicked: `hxxp://evil[.]example`, `bad(.)example`, `user[at]evil{.}example`.
 */

const REPLACEMENTS: ReadonlyArray<readonly [RegExp, string | ((m: string, s: string) => string)]> = [
  [/^h(?:xx|\*\*)p(s?)(?=[:[])/i, (_m: string, s: string) => `http${s.toLowerCase()}`],
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
  for (const [pattern, replacement] of REPLACEMENTS) {
    out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  }
  return out;
}
