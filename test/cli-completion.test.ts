/**
 * `iochunt completion bash|zsh|fish`: scripts generated from the program's
 * own commands and options, checked by the shells themselves and, for bash,
 * by running the completion function as bash would.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

function has(shell: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
}

/** The long options `iochunt <command> --help` lists. */
async function longOptions(command: string[]): Promise<string[]> {
  const help = await runCli([...command, '--help']);
  expect(help.code).toBe(0);
  return [...new Set(help.stdout.match(/(?<=^|[\s,])--[a-z][a-z0-9-]*/gm) ?? [])];
}

/** Runs the bash completion function on `words` (the last one being completed) in `cwd`. */
function completeBash(script: string, words: string[], cwd: string): string[] {
  const body = `${script}
COMP_WORDS=(${words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ')})
COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
_iochunt
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', body], { cwd, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter((l) => l !== '');
}

/**
 * Types `line` and TAB into an interactive zsh (in a pseudo-terminal made by
 * `script`) with the generated function on $fpath; resolves to the command
 * line after the TAB, printed by a widget bound to Ctrl-T (keys are handled
 * in order, so no wait on time). With menucomplete, TAB inserts the first
 * of several matches.
 */
function zshComplete(line: string): Promise<string> {
  const child = spawn('script', ['-qfc', 'zsh -f -i', '/dev/null'], {
    cwd: t.path('zsh-cwd'),
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TERM: 'dumb' },
  });
  const closed = new Promise((resolve) => child.on('close', resolve));
  let shown = '';
  child.stdout.on('data', (d: Buffer) => (shown += d.toString('utf8')));
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve) => {
      const check = () => {
        const m = pattern.exec(shown);
        if (m) {
          child.stdout.off('data', check);
          resolve(m);
        }
      };
      child.stdout.on('data', check);
      check();
    });
  return (async () => {
    try {
      // Markers are computed by zsh, so the echo of what is typed cannot match them.
      child.stdin.write(
        `PS1='> '; fpath=(${t.path('zsh-fn')} $fpath); autoload -Uz compinit; compinit -u -D; setopt menucomplete; iochunt() { :; }; ` +
          `showbuf() { zle -I; print -r -- "BUF<$BUFFER>END-$((40+4))"; }; zle -N showbuf; bindkey '^T' showbuf; echo READY-$((40+2))\n`,
      );
      await waitFor(/READY-42/);
      child.stdin.write(`${line}\t\x14`);
      const m = await waitFor(/BUF<([^>]*)>END-44/);
      return m[1] as string;
    } finally {
      // script ends zsh when it goes: wait for both to be gone.
      child.kill();
      await closed;
    }
  })();
}

describe('iochunt completion bash', () => {
  it('is valid bash and names every option of scan, parse and es setup', async () => {
    const r = await runCli(['completion', 'bash']);
    expect(r.code).toBe(0);
    const file = t.write('iochunt.bash', r.stdout);
    expect(spawnSync('bash', ['-n', file], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
    for (const cmd of [['scan'], ['parse'], ['es', 'setup'], ['iocs', 'check']]) {
      const opts = await longOptions(cmd);
      expect(opts.length).toBeGreaterThan(0);
      for (const o of opts) expect(r.stdout, `${cmd.join(' ')} ${o}`).toContain(` ${o}`);
    }
    for (const o of ['--glob', '--max-count', '--files-with-matches', '--count', '--hidden', '--max-depth', '--text', '--no-info', '--file']) {
      expect(r.stdout).toContain(o);
    }
  });

  it('completes commands, options, option values and paths as bash runs it', async () => {
    const script = (await runCli(['completion', 'bash'])).stdout;
    const cwd = t.dir;
    t.write('my feed.txt', '');
    t.write('other.log', '');
    expect(completeBash(script, ['iochunt', 'sc'], cwd)).toEqual(['scan']);
    expect(completeBash(script, ['iochunt', 'scan', '--gl'], cwd)).toEqual(['--glob']);
    expect(completeBash(script, ['iochunt', 'scan', '-'], cwd)).toEqual(expect.arrayContaining(['-q', '-l', '-c', '-m', '-f', '-g', '-a']));
    // A file name with a space stays one word.
    expect(completeBash(script, ['iochunt', 'scan', '-f', 'my'], cwd)).toEqual(['my feed.txt']);
    expect(completeBash(script, ['iochunt', 'scan', '-f', 'feed.txt', 'oth'], cwd)).toEqual(['other.log']);
    // A value that is not a file gets no file names.
    expect(completeBash(script, ['iochunt', 'scan', '--max-count', ''], cwd)).toEqual([]);
    expect(completeBash(script, ['iochunt', 'iocs', 'st'], cwd)).toEqual(['stats']);
    expect(completeBash(script, ['iochunt', 'completion', ''], cwd)).toEqual(['bash', 'zsh', 'fish']);
    // Options of another command are not offered.
    expect(completeBash(script, ['iochunt', 'parse', '--max-c'], cwd)).toEqual([]);
  });
});

describe('iochunt completion zsh and fish', () => {
  it('zsh: a #compdef script with the scan options and their values', async () => {
    const r = await runCli(['completion', 'zsh']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('#compdef iochunt\n')).toBe(true);
    expect(r.stdout).toMatch(/'\*--glob\[[^\]]+\]:value: '/);
    expect(r.stdout).toMatch(/'\*-f\[[^\]]+\]:value:_files'/);
    expect(r.stdout).toContain("'scan:scan logs for indicators");
    if (has('zsh')) {
      const file = t.write('zsh-fn/_iochunt', r.stdout);
      expect(spawnSync('zsh', ['-n', file], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
    }
  });

  it.skipIf(!has('zsh') || !has('script'))('zsh: completes as an interactive zsh does (TAB in a pseudo-terminal)', async () => {
    t.write('zsh-cwd/other.log', '');
    t.write('zsh-fn/_iochunt', (await runCli(['completion', 'zsh'])).stdout);
    expect(await zshComplete('iochunt sc')).toBe('iochunt scan ');
    expect(await zshComplete('iochunt scan --gl')).toBe('iochunt scan --glob ');
    expect(await zshComplete('iochunt scan -f oth')).toBe('iochunt scan -f other.log ');
    expect(await zshComplete('iochunt iocs st')).toBe('iochunt iocs stats ');
    expect(await zshComplete('iochunt completion ')).toMatch(/^iochunt completion (bash|fish|zsh)/);
    // An option of scan is not offered to parse.
    expect(await zshComplete('iochunt parse --max-c')).toBe('iochunt parse --max-c');
  });

  it('fish: complete lines for every command, with file values marked', async () => {
    const r = await runCli(['completion', 'fish']);
    expect(r.code).toBe(0);
    const scan = "-n '__iochunt_is \\'iochunt scan\\''";
    expect(r.stdout).toContain(`complete -c iochunt ${scan} -s g -l glob -x `);
    expect(r.stdout).toContain(`complete -c iochunt ${scan} -s f -l file -r -F `);
    expect(r.stdout).toContain("complete -c iochunt -n '__iochunt_is \\'iochunt iocs\\'' -a 'stats'");
    if (has('fish')) {
      const file = t.write('iochunt.fish', r.stdout);
      expect(spawnSync('fish', ['--no-execute', file], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
      // As fish completes what is typed (complete -C).
      const dir = t.path('fish-cwd');
      t.write('fish-cwd/other.log', '');
      const complete = (line: string): string[] => {
        const out = spawnSync('fish', ['-c', `source ${file}; complete -C '${line}'`], { cwd: dir, encoding: 'utf8' });
        expect(out.stderr).toBe('');
        return out.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0] as string);
      };
      expect(complete('iochunt sc')).toEqual(['scan']);
      expect(complete('iochunt scan --gl')).toEqual(['--glob']);
      expect(complete('iochunt scan -f oth')).toEqual(['other.log']);
      expect(complete('iochunt scan --max-count ')).toEqual([]);
      expect(complete('iochunt parse --max-c')).toEqual([]);
      expect(complete('iochunt completion ').sort()).toEqual(['bash', 'fish', 'zsh']);
    }
  });

  it('refuses another shell or none, exit 2', async () => {
    const tcsh = await runCli(['completion', 'tcsh']);
    expect(tcsh.code).toBe(2);
    expect(tcsh.stderr).toMatch(/bash, zsh, fish/);
    expect(tcsh.stdout).toBe('');
    const none = await runCli(['completion']);
    expect(none.code).toBe(2);
  });
});
