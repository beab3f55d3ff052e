/**
 * Start-up: what a run loads, and Node's compile cache. `--version` loads no
 * command and no dependency; a scan loads no dependency it does not use (the
 * feed parsers only when the indicator cache cannot answer, nothing of the
 * configuration, HTTP, metrics or state modules); the compile cache lives in
 * the indicator cache's directory, follows --cache-dir, is off with
 * --no-cache, and never stops a run when it cannot be written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPILE_CACHE_FOLDER, compileCacheDir } from '../src/startup/compile-cache.js';
import { CLI, ROOT, runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir('iochunt-startup-');
const feed = t.write('iocs.txt', '203.0.113.9\nevil.example\n');
const csvFeed = t.write('iocs.csv', 'indicator,type\n203.0.113.9,ipv4-addr\n');
const log = t.write('a.log', 'from 203.0.113.9\nnothing\n');

describe('compileCacheDir', () => {
  const env = { IOCHUNT_CACHE_DIR: '/c' };
  it('is the folder of the indicator cache, moved by --cache-dir, off with --no-cache', () => {
    expect(compileCacheDir(['--version'], env)).toBe(join('/c', COMPILE_CACHE_FOLDER));
    expect(compileCacheDir(['scan', '--cache-dir', '/d', '-i', 'f'], env)).toBe(join('/d', COMPILE_CACHE_FOLDER));
    expect(compileCacheDir(['scan', '--cache-dir=/e'], env)).toBe(join('/e', COMPILE_CACHE_FOLDER));
    expect(compileCacheDir(['scan', '--no-cache', '-i', 'f'], env)).toBeUndefined();
    expect(compileCacheDir([], { XDG_CACHE_HOME: '/x' })).toBe(join('/x', 'iochunt', COMPILE_CACHE_FOLDER));
  });
  it('reads no option after --', () => {
    expect(compileCacheDir(['scan', '-i', 'f', '--', '--no-cache'], env)).toBe(join('/c', COMPILE_CACHE_FOLDER));
  });
});

const hasCompileCache = typeof module.enableCompileCache === 'function';

describe.skipIf(!hasCompileCache)('compile cache', () => {
  it('is written under IOCHUNT_CACHE_DIR, and under --cache-dir when given', async () => {
    const env = t.path('env-cache');
    expect((await runCli(['--version'], { env: { IOCHUNT_CACHE_DIR: env } })).code).toBe(0);
    expect(readdirSync(join(env, COMPILE_CACHE_FOLDER)).length).toBeGreaterThan(0);
    const opt = t.path('opt-cache');
    const r = await runCli(['scan', '--cache-dir', opt, '-i', feed, log], { env: { IOCHUNT_CACHE_DIR: t.path('unused') } });
    expect(r.code).toBe(0);
    expect(readdirSync(opt).some((n) => n.endsWith('.iocc'))).toBe(true);
    expect(readdirSync(join(opt, COMPILE_CACHE_FOLDER)).length).toBeGreaterThan(0);
    expect(existsSync(t.path('unused'))).toBe(false);
  });

  it('is not written with --no-cache', async () => {
    const dir = t.path('no-cache');
    const r = await runCli(['scan', '--no-cache', '-i', feed, log], { env: { IOCHUNT_CACHE_DIR: dir } });
    expect(r.code).toBe(0);
    expect(r.docs).toHaveLength(1);
    expect(existsSync(dir)).toBe(false);
  });

  it('a cache directory that cannot be made costs nothing: same output, no message', async () => {
    const file = t.write('a-file', 'not a directory\n');
    // Under /proc, Node's own creation of the folder never returns; iochunt makes it first and gives up.
    for (const dir of [join(file, 'sub'), '/proc/iochunt-no-such-dir']) {
      const r = await runCli(['scan', '--no-info', '-i', feed, log], { env: { IOCHUNT_CACHE_DIR: dir } });
      expect(r.stdout).not.toBe('');
      expect(r.docs.map((d) => d.event.original)).toEqual(['from 203.0.113.9']);
      const v = await runCli(['--version'], { env: { IOCHUNT_CACHE_DIR: dir } });
      expect(v.code).toBe(0);
      expect(v.stderr).toBe('');
    }
  }, 30_000);
});

describe('--version', () => {
  it('prints the same line alone (without building the program) as among other arguments', async () => {
    const alone = await runCli(['--version']);
    const short = await runCli(['-V']);
    // Not the only argument: commander handles it.
    const within = await runCli(['--version', 'scan']);
    expect(alone.code).toBe(0);
    expect(within.code).toBe(0);
    expect(alone.stdout).toMatch(/^\d+\.\d+\.\d+ \(node v[\d.]+, engine: /);
    expect(short.stdout).toBe(alone.stdout);
    expect(within.stdout).toBe(alone.stdout);
  });

  it('exits 0 when its reader has gone (a closed pipe)', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" --version | true`], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});

const hasHooks = typeof (module as { registerHooks?: unknown }).registerHooks === 'function';

describe.skipIf(!hasHooks)('what a run loads', () => {
  // Prints, at exit, the npm packages the run resolved.
  const probe = t.write(
    'probe.mjs',
    "import { registerHooks } from 'node:module';\n" +
      'const seen = new Set();\n' +
      'registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx); const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(r.url); if (m) seen.add(m[1]); return r; } });\n' +
      "process.on('exit', () => process.stderr.write(`packages=${[...seen].sort().join(',')}\\n`));\n",
  );
  const packages = (args: string[], cacheDir: string): string[] => {
    const r = spawnSync(process.execPath, ['--import', probe, CLI, ...args], { cwd: ROOT, encoding: 'utf8', input: '', env: { ...process.env, IOCHUNT_CACHE_DIR: cacheDir } });
    const m = /packages=(.*)/.exec(r.stderr);
    if (!m) throw new Error(`no probe output: ${r.stderr}`);
    return m[1] === '' ? [] : m[1]!.split(',');
  };
  const unused = ['zod', 'undici', 'prom-client', 'yaml', 'proper-lockfile', '@elastic/elasticsearch', 'csv-parse', 'stream-json', 're2-wasm'];

  it('--version loads no package', () => {
    expect(packages(['--version'], t.path('p1'))).toEqual([]);
  });

  it('a scan loads no package it does not use; feed parsers only when the cache cannot answer', () => {
    const dir = t.path('p2');
    const cold = packages(['scan', '--no-info', '-i', csvFeed, log], dir);
    expect(cold).toContain('csv-parse');
    const warm = packages(['scan', '--no-info', '-i', csvFeed, log], dir);
    for (const p of unused) expect(warm).not.toContain(p);
    expect(warm).toContain('commander');
    const plain = packages(['scan', '--no-info', '--no-cache', '-i', feed, log], dir);
    for (const p of unused) expect(plain).not.toContain(p);
  });
});
