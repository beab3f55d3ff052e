/**
 * Directory walks of `scan` as ripgrep walks them: --glob include and
 * !exclude patterns (last match wins), hidden files and folders skipped
 * unless --hidden, --max-depth, and a file reached twice through hard links
 * read once. Unit checks on expandPaths, end-to-end checks through the CLI.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { linkSync, rmSync, symlinkSync } from 'node:fs';
import { relative } from 'node:path';
import { expandPaths, type WalkOptions } from '../src/input/expand-paths.js';
import { PathGlobs } from '../src/input/path-globs.js';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

for (const f of [
  'logs/auth.log',
  'logs/auth.log.1',
  'logs/debug.log',
  'logs/old.gz',
  'logs/.secret.log',
  'logs/.cache/x.log',
  'logs/nginx/access.log',
  'logs/nginx/error.log',
  'logs/nginx/deep/more/z.log',
  'logs/archive/2019.log',
]) {
  t.write(f, 'hit 10.1.2.3\n');
}
// Another name of logs/auth.log (same device and inode), in a folder walked later.
linkSync(t.path('logs/auth.log'), t.path('logs/nginx/auth-hardlink.log'));
const feed = t.write('feed.txt', '10.1.2.3\n');

async function list(args: string[], options: WalkOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const e of expandPaths(args, options)) out.push('error' in e ? `ERROR ${relative(t.dir, e.path)}` : relative(t.dir, e.path));
  return out;
}

describe('--glob patterns (rg semantics)', () => {
  it('include patterns keep only matching files, at any depth for a pattern without a slash', async () => {
    expect(await list([t.path('logs')], { globs: ['*.log'] })).toEqual([
      'logs/archive/2019.log',
      'logs/auth.log',
      'logs/debug.log',
      'logs/nginx/access.log',
      'logs/nginx/deep/more/z.log',
      'logs/nginx/error.log',
    ]);
  });

  it('! excludes; when several patterns match, the last one given wins', async () => {
    expect(await list([t.path('logs')], { globs: ['*.log', '!debug.log', '!nginx/'] })).toEqual(['logs/archive/2019.log', 'logs/auth.log']);
    // Excluded first, then included again by a later pattern.
    expect(await list([t.path('logs/nginx')], { globs: ['!*.log', 'error.log'] })).toEqual(['logs/nginx/error.log']);
  });

  it('exclude-only patterns keep everything else, and prune the folders they match', async () => {
    expect(await list([t.path('logs')], { globs: ['!*.gz', '!archive', '!nginx'] })).toEqual(['logs/auth.log', 'logs/auth.log.1', 'logs/debug.log']);
  });

  it('a pattern with a slash is matched against the path below the walked folder', async () => {
    // auth-hardlink.log is kept here: auth.log, the name reached first otherwise, is not.
    expect(await list([t.path('logs')], { globs: ['nginx/*.log'] })).toEqual(['logs/nginx/access.log', 'logs/nginx/auth-hardlink.log', 'logs/nginx/error.log']);
    expect(await list([t.path('logs')], { globs: ['nginx/**/*.log', '!**/deep/**', '!*hardlink*'] })).toEqual([
      'logs/nginx/access.log',
      'logs/nginx/error.log',
    ]);
  });

  it('never filters a file named on the command line', async () => {
    expect(await list([t.path('logs/old.gz')], { globs: ['*.log'] })).toEqual(['logs/old.gz']);
  });

  it('refuses an empty pattern', () => {
    expect(() => new PathGlobs(['!'])).toThrow(/--glob/);
    expect(() => new PathGlobs([''])).toThrow(/--glob/);
  });

  it('works end to end, repeatable as -g and --glob', async () => {
    const r = await runCli(['scan', '--no-info', '-l', '-f', feed, '-g', '*.log', '--glob', '!nginx', t.path('logs')]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).map((p) => relative(t.dir, p))).toEqual(['logs/archive/2019.log', 'logs/auth.log', 'logs/debug.log']);
    const none = await runCli(['scan', '--no-info', '-l', '-f', feed, '-g', '*.nothing', t.path('logs')]);
    expect(none).toMatchObject({ code: 1, stdout: '' });
    const bad = await runCli(['scan', '-f', feed, '-g', '!', t.path('logs')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/iochunt: error: .*--glob/);
  });
});

describe('hidden files and folders', () => {
  it('are skipped in walks unless --hidden, and read when named', async () => {
    const without = await list([t.path('logs')]);
    expect(without.some((p) => p.includes('/.'))).toBe(false);
    const withHidden = await list([t.path('logs')], { hidden: true });
    expect(withHidden).toContain('logs/.secret.log');
    expect(withHidden).toContain('logs/.cache/x.log');
    expect(await list([t.path('logs/.secret.log')])).toEqual(['logs/.secret.log']);
    // A hidden folder named on the command line is walked.
    expect(await list([t.path('logs/.cache')])).toEqual(['logs/.cache/x.log']);
  });

  it('are skipped by globs unless --hidden', async () => {
    expect(await list([t.path('logs/*.log')])).not.toContain('logs/.secret.log');
    expect(await list([t.path('logs/*.log')], { hidden: true })).toContain('logs/.secret.log');
  });

  it('end to end', async () => {
    const hidden = await runCli(['scan', '--no-info', '-c', '-f', feed, '--hidden', t.path('logs/.cache')]);
    expect(hidden.stdout).toBe(`${t.path('logs/.cache/x.log')}:1\n`);
    const count = async (extra: string[]) => (await runCli(['scan', '--no-info', '-c', '-f', feed, ...extra, t.path('logs')])).stdout.split('\n').filter(Boolean).length;
    expect(await count(['--hidden'])).toBe((await count([])) + 2);
  });
});

describe('--max-depth', () => {
  it('reads N levels below a named folder: 1 its own files, 0 none', async () => {
    expect(await list([t.path('logs/nginx')], { maxDepth: 1 })).toEqual(['logs/nginx/access.log', 'logs/nginx/auth-hardlink.log', 'logs/nginx/error.log']);
    expect(await list([t.path('logs/nginx')], { maxDepth: 2 })).toEqual([
      'logs/nginx/access.log',
      'logs/nginx/auth-hardlink.log',
      'logs/nginx/error.log',
    ]);
    expect(await list([t.path('logs/nginx')], { maxDepth: 3 })).toContain('logs/nginx/deep/more/z.log');
    expect(await list([t.path('logs/nginx')], { maxDepth: 0 })).toEqual([]);
    // A named file is read whatever the depth.
    expect(await list([t.path('logs/nginx/access.log')], { maxDepth: 0 })).toEqual(['logs/nginx/access.log']);
  });

  it('end to end, and refuses a value that is not a whole number', async () => {
    const r = await runCli(['scan', '--no-info', '-l', '-f', feed, '--max-depth', '1', t.path('logs/nginx')]);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    const bad = await runCli(['scan', '-f', feed, '--max-depth', '-1', t.path('logs')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-depth/);
  });
});

describe('parse walks as scan walks', () => {
  it('skips hidden files unless --hidden and keeps what --glob keeps', async () => {
    const files = async (extra: string[]) =>
      [...new Set((await runCli(['parse', '--no-summary', ...extra, t.path('logs')])).docs.map((d) => relative(t.dir, d.log.file.path)))];
    const plain = await files([]);
    expect(plain).toContain('logs/auth.log');
    expect(plain).not.toContain('logs/.secret.log');
    expect(await files(['--hidden', '-g', '.secret.log'])).toEqual(['logs/.secret.log']);
    expect(await files(['--max-depth', '1', '-g', '!auth.log*', '-g', '!*.gz'])).toEqual(['logs/debug.log']);
    // --no-info, as on scan, drops its summary.
    const withSummary = await runCli(['parse', t.path('logs/debug.log')]);
    expect(withSummary.stderr).toMatch(/debug\.log/);
    const quiet = await runCli(['parse', '--no-info', t.path('logs/debug.log')]);
    expect(quiet.stderr).toBe('');
  });
});

describe('a file reached twice', () => {
  it('through a hard link is read once (same device and inode), under the name reached first', async () => {
    const walked = await list([t.path('logs')]);
    expect(walked).toContain('logs/auth.log');
    expect(walked).not.toContain('logs/nginx/auth-hardlink.log');
    expect(await list([t.path('logs/nginx/auth-hardlink.log'), t.path('logs/auth.log')])).toEqual(['logs/nginx/auth-hardlink.log']);
    const r = await runCli(['scan', '--no-info', '-f', feed, t.path('logs/auth.log'), t.path('logs/nginx')]);
    expect(r.docs.map((d) => relative(t.dir, d.log.file.path))).toEqual(['logs/auth.log', 'logs/nginx/access.log', 'logs/nginx/deep/more/z.log', 'logs/nginx/error.log']);
  });

  it('through a symlink is read once; two files with the same content are both read', async () => {
    const u = tmpDir();
    try {
      u.write('one.log', 'hit 10.1.2.3\n');
      u.write('two.log', 'hit 10.1.2.3\n');
      symlinkSync(u.path('one.log'), u.path('z-link.log'));
      const r = await runCli(['scan', '--no-info', '-c', '-f', feed, u.dir]);
      expect(r.stdout).toBe(`${u.path('one.log')}:1\n${u.path('two.log')}:1\n`);
    } finally {
      rmSync(u.dir, { recursive: true, force: true });
    }
  });
});
