/**
 * Choosing the engine: `auto` falls back to the TypeScript engine with one
 * warning when the native addon cannot load, and finds the same hits;
 * `--engine native` then fails with exit 2 and says how to fix it.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir('iochunt-engine-');
const feed = t.write('iocs.txt', '203.0.113.9\nevil.example\n');
const log = t.write('a.log', 'from 203.0.113.9\nto cdn.evil.example\nnot 110.1.2.3\n');
const missing = { IOCHUNT_NATIVE_PATH: t.path('no-such-build', 'iochunt.node') };

describe('engine selection', () => {
  it('auto falls back to the TypeScript engine with exactly one warning', async () => {
    const r = await runCli(['scan', '--no-cache', '--iocs', feed, log], { env: missing });
    expect(r.code).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/native engine unavailable .*no-such-build.*using the slower TypeScript engine.*libhyperscan-dev/);
    expect(r.stderr).toMatch(/js engine/);
    expect(r.docs.map((d) => d.event.original)).toEqual(['from 203.0.113.9', 'to cdn.evil.example']);
  });

  it('--engine native fails with exit 2, the reason and the fix, and writes no hits', async () => {
    const r = await runCli(['scan', '--no-cache', '--engine', 'native', '--iocs', feed, log], { env: missing });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error: the native engine cannot be loaded: .*no-such-build.* is not built\. To fix it: install Hyperscan .*npm run build:native/);
  });

  it('--engine js never needs the addon', async () => {
    const r = await runCli(['scan', '--no-cache', '--engine', 'js', '--iocs', feed, log], { env: missing });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    expect(r.docs).toHaveLength(2);
  });
});
