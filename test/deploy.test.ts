/**
 * Every flag used in deploy/ is one the built CLI accepts (so the unit files
 * and cron lines cannot drift from the program), and the units parse as
 * key=value sections.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** The `iochunt <command> …` invocations in a file (with line continuations joined). */
function invocations(text: string): Array<{ command: string; flags: string[] }> {
  const joined = text.replace(/\\\n\s*/g, ' ');
  const out: Array<{ command: string; flags: string[] }> = [];
  for (const m of joined.matchAll(/\/usr\/bin\/iochunt\s+([a-z]+(?:\s+[a-z]+)?)\s+([^\n|;&]*)/g)) {
    const command = (m[1] as string).split(/\s+/).filter((w) => !w.startsWith('-'))[0] as string;
    const flags = [...(m[2] as string).matchAll(/(?:^|\s)(--?[a-zA-Z][\w-]*)/g)].map((f) => f[1] as string);
    out.push({ command, flags });
  }
  return out;
}

describe('deploy/', () => {
  const all = files(join(ROOT, 'deploy'));

  it('uses only flags the built CLI accepts', async () => {
    const found = all.flatMap((f) => invocations(readFileSync(f, 'utf8')).map((i) => ({ ...i, file: f })));
    expect(found.length).toBeGreaterThan(0);
    const help = new Map<string, string>();
    for (const inv of found) {
      if (!help.has(inv.command)) {
        const r = await runCli([inv.command, '--help']);
        expect(r.code, `${inv.command} --help`).toBe(0);
        help.set(inv.command, r.stdout);
      }
      for (const flag of inv.flags) expect(help.get(inv.command), `${inv.file}: ${flag}`).toMatch(new RegExp(`(^|[\\s,])${flag}([\\s,=]|$)`, 'm'));
    }
  });

  it('systemd units parse as sections of key=value lines', () => {
    for (const f of all.filter((p) => /\.(service|timer)$/.test(p))) {
      let section = '';
      const text = readFileSync(f, 'utf8').replace(/\\\n/g, ' ');
      for (const line of text.split('\n')) {
        if (line.trim() === '' || line.startsWith('#')) continue;
        if (/^\[[A-Za-z]+\]$/.test(line)) {
          section = line;
          continue;
        }
        expect(section, `${f}: ${line}`).not.toBe('');
        expect(line, f).toMatch(/^[A-Za-z]+=.*/);
      }
    }
  });
});
