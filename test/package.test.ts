/**
 * The npm package end to end: `npm pack` of a checkout without dist/ (prepack
 * builds it), `npm install -g` of the tarball into a prefix (offline from the
 * npm cache where it can; the install script builds the native addon), then
 * the installed `iochunt` run from another folder, and the library imported
 * through its `exports`.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineNames } from './helpers/engines.js';
import { ROOT } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; license: string; files: string[] };

function run(cmd: string, args: string[], options: SpawnSyncOptions): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('npm package', () => {
  it('names a licence it ships', () => {
    expect(pkg.license).toBe('Apache-2.0');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0, January 2004/);
  });

  it('packs a checkout without dist/, installs globally into a prefix, and runs from another folder', () => {
    const t = tmpDir('iochunt-package-');
    // A checkout as git gives it: the packed files and the sources, no dist/ (the dependencies are this repository's).
    const src = t.path('checkout');
    for (const f of [...pkg.files.filter((f) => f !== 'dist'), 'package.json', 'package-lock.json', 'README.md', 'LICENSE', 'tsconfig.json', 'src']) cpSync(join(ROOT, f), join(src, f), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
    expect(existsSync(join(src, 'dist'))).toBe(false);

    const packed = run('npm', ['pack', '--json', '--pack-destination', t.dir], { cwd: src });
    expect(packed.status, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = info!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/cli.js', 'dist/index.js', 'dist/index.d.ts', 'native/build.mjs', 'native/src/addon.cc']));
    expect(files.filter((f) => /^(test|fixtures|src|bench)\/|^native\/build\//.test(f))).toEqual([]);

    // Offline where the npm cache has the dependencies (it does after `npm ci`), else from the registry.
    const prefix = t.path('prefix');
    const installed = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(t.dir, info!.filename)], { cwd: t.dir });
    expect(installed.status, installed.stderr).toBe(0);

    const elsewhere = t.path('elsewhere');
    mkdirSync(elsewhere);
    const env: NodeJS.ProcessEnv = { ...process.env, IOCHUNT_CACHE_DIR: t.path('cache') };
    delete env.IOCHUNT_NATIVE_PATH;
    const bin = join(prefix, 'bin', 'iochunt');
    const version = run(bin, ['--version'], { cwd: elsewhere, env });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.split(' ')[0]).toBe(pkg.version);
    // The install script built the addon where Hyperscan is installed (always in CI).
    if (engineNames().includes('native')) expect(version.stdout).toMatch(/engine: native, Hyperscan /);
    else expect(version.stdout).toMatch(/engine: js, .*npm rebuild -g iochunt/);

    writeFileSync(join(elsewhere, 'feed.txt'), '203.0.113.7\nevil.example\n');
    const log = join(elsewhere, 'app.log');
    writeFileSync(log, 'connect from 203.0.113.7 ok\nconnect from 1203.0.113.7 ok\nGET http://notevil.example/\nGET http://cdn.evil.example/x\n');
    const scan = run(bin, ['scan', '-q', '--iocs', 'feed.txt', 'app.log'], { cwd: elsewhere, env });
    expect(scan.status, scan.stderr).toBe(0);
    const hits = scan.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: { original: string }; log: { file: { path: string } } });
    expect(hits.map((h) => h.event.original)).toEqual(['connect from 203.0.113.7 ok', 'GET http://cdn.evil.example/x']);
    expect(hits[0]?.log.file.path).toBe('app.log');

    // The library through its exports, with types next to it.
    mkdirSync(join(elsewhere, 'node_modules'));
    const root = join(prefix, 'lib', 'node_modules', 'iochunt');
    symlinkSync(root, join(elsewhere, 'node_modules', 'iochunt'), 'dir');
    const lib = run(process.execPath, ['--input-type=module', '-e', "const m = await import('iochunt'); console.log(typeof m.loadFeeds, typeof m.normalizeIndicator);"], { cwd: elsewhere });
    expect(lib.stdout.trim(), lib.stderr).toBe('function function');
    const exportsMap = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { types: string }> }).exports;
    expect(existsSync(join(root, exportsMap['.']!.types))).toBe(true);
  }, 600_000);
});
