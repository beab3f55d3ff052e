/**
 * `iochunt --version`: the version first, then Node and the engine a scan
 * would use and why it would not be the native one (no build, no Hyperscan
 * library, an addon that does not load) with the command that rebuilds it.
 * Start-up: the Elasticsearch client is loaded only by `--es` and `es` commands.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rebuildCommand } from '../src/engine/native/load-addon.js';
import { engineNames } from './helpers/engines.js';
import { CLI, ROOT, runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const VERSION = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;
const t = tmpDir('iochunt-version-');

describe('iochunt --version', () => {
  it('prints the version first, then Node and the engine it would use', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.split(' ')[0]).toBe(VERSION);
      expect(r.stdout.split('\n')).toHaveLength(2);
      if (engineNames().includes('native')) {
        expect(r.stdout).toMatch(new RegExp(`^${VERSION} \\(node ${process.version}, engine: native, Hyperscan \\d+\\.\\d+\\.\\d+\\)\\n$`));
      } else {
        expect(r.stdout).toMatch(new RegExp(`^${VERSION} \\(node ${process.version}, engine: js, `));
      }
    }
  });

  it('says when the build is missing, and how to rebuild it', async () => {
    const r = await runCli(['--version'], { env: { IOCHUNT_NATIVE_PATH: t.path('none', 'iochunt.node') } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${VERSION} (node ${process.version}, engine: js, native build missing (${t.path('none', 'iochunt.node')} is not built; rebuild with \`npm run build:native\`))\n`);
  });

  it('says when an addon is there but does not load', async () => {
    const r = await runCli(['--version'], { env: { IOCHUNT_NATIVE_PATH: t.write('garbage.node', 'not a shared object\n') } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/engine: js, native addon failed to load \(.*garbage\.node failed to load: .*; rebuild with `npm run build:native`\)\)\n$/);
  });

  const cc = spawnSync('cc', ['--version']).status === 0;
  it.skipIf(!cc)('says when the Hyperscan library the addon needs is missing', async () => {
    // A shared object linked against a libhs.so that is gone afterwards, as after an upgrade that removed libhyperscan5.
    const lib = t.write('lib/stub.c', 'int hs_stub(void) { return 1; }\n');
    const addon = t.write('addon.c', 'extern int hs_stub(void);\nint use_stub(void) { return hs_stub(); }\n');
    expect(spawnSync('cc', ['-shared', '-fPIC', '-Wl,-soname,libhs.so.99', '-o', t.path('lib/libhs.so'), lib]).status).toBe(0);
    expect(spawnSync('cc', ['-shared', '-fPIC', '-Wl,--no-as-needed', '-o', t.path('hs.node'), addon, `-L${t.path('lib')}`, '-lhs']).status).toBe(0);
    const r = await runCli(['--version'], { env: { IOCHUNT_NATIVE_PATH: t.path('hs.node') } });
    expect(r.stdout).toMatch(/engine: js, Hyperscan library missing \(.*hs\.node failed to load: libhs\.so\.99: cannot open shared object file/);
  });
});

describe('rebuild hint', () => {
  it('names the command for a clone, a global install and a project install', () => {
    expect(rebuildCommand('/home/me/src/iochunt')).toBe('npm run build:native');
    expect(rebuildCommand('/usr/local/lib/node_modules/iochunt')).toBe('npm rebuild -g iochunt');
    expect(rebuildCommand('/home/me/app/node_modules/iochunt')).toBe('npm rebuild iochunt');
  });
});

describe('start-up', () => {
  // Prints, at exit, whether the Elasticsearch client was loaded (CommonJS, so in the require cache).
  const probe = t.write(
    'probe.mjs',
    "import { createRequire } from 'node:module';\n" +
      "const cache = createRequire(import.meta.url).cache;\n" +
      "process.on('exit', () => process.stderr.write(`es-client-loaded=${Object.keys(cache).some((k) => k.includes('@elastic/elasticsearch'))}\\n`));\n",
  );
  const loaded = (args: string[]): string => {
    const r = spawnSync(process.execPath, ['--import', probe, CLI, ...args], { cwd: ROOT, encoding: 'utf8', input: '' });
    return /es-client-loaded=(\w+)/.exec(r.stderr)?.[1] ?? `no probe output: ${r.stderr}`;
  };

  it('loads the Elasticsearch client only for --es and es commands', () => {
    const feed = t.write('iocs.txt', '203.0.113.9\n');
    const log = t.write('a.log', 'from 203.0.113.9\n');
    expect(loaded(['--version'])).toBe('false');
    expect(loaded(['scan', '-q', '--no-cache', '--iocs', feed, log])).toBe('false');
    expect(loaded(['parse', '-q', log])).toBe('false');
    expect(loaded(['es', 'setup', '--print'])).toBe('true');
    // An unreachable cluster: the run fails, but it did load the client to try.
    expect(loaded(['scan', '-q', '--no-cache', '--iocs', feed, '--es', 'http://127.0.0.1:9', '--es-wait', '0', log])).toBe('true');
  });
});
