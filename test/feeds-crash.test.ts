/**
 * Crash safety of `feeds pull`: SIGKILL at random moments of a pull, then a
 * pull to the end, gives the same feed and cursor as one uninterrupted pull;
 * a crash between the feed and the state write is harmless; a reader that
 * reads the feed in a loop during 50 replacements only ever sees a whole
 * feed, old or new.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.js';
import { recordingReporter } from '../src/report.js';
import { pullSource } from '../src/sources/index.js';
import { runCli, startCli } from './helpers/cli.js';
import { pulse, startIntelServer, type IntelServer } from './helpers/intel-server.js';
import { tmpDir } from './helpers/tmp.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('feeds pull: crashes and readers', () => {
  const t = tmpDir('iochunt-crash-');
  let server: IntelServer;
  const env = (): NodeJS.ProcessEnv => ({ OTX_API_KEY: server.otx.key });
  const config = (dir: string): string =>
    t.write(
      `${dir}.yaml`,
      `state_dir: ./${dir}/state
feeds_dir: ./${dir}/feeds
feeds:
  - name: otx
    type: otx
    url: ${server.url}
    credentials: { api_key: { env: OTX_API_KEY } }
    options: { limit: 2 }
    http: { backoff: 10ms }
`,
    );
  const feedOf = (dir: string): string => t.path(dir, 'feeds', 'otx.json');
  const stateOf = (dir: string): string => t.path(dir, 'state', 'otx.state.json');
  const cursorOf = (dir: string): unknown => JSON.parse(readFileSync(stateOf(dir), 'utf8')).cursor;

  beforeAll(async () => {
    server = await startIntelServer();
    for (let i = 1; i <= 30; i++) {
      server.otx.pulses.push(pulse(i, `2024-05-${String(i).padStart(2, '0')}T00:00:00.000000`, [{ indicator: `203.0.113.${i}`, type: 'IPv4' }, { indicator: `p${i}.crash.example`, type: 'domain' }]));
    }
  });
  afterAll(async () => {
    await server.close();
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('SIGKILL at random moments of an incremental pull, then one more pull: same feed and cursor as an uninterrupted pull', async () => {
    const main = config('main');
    const ref = config('ref');
    expect((await runCli(['feeds', 'pull', '--config', main], { env: env() })).code).toBe(0);
    expect((await runCli(['feeds', 'pull', '--config', ref], { env: env() })).code).toBe(0);
    expect(readFileSync(feedOf('main')).equals(readFileSync(feedOf('ref')))).toBe(true);
    const before = readFileSync(feedOf('main'));

    // The source changes: ten pulses modified, ten new ones, one unsubscribed.
    for (let i = 1; i <= 10; i++) {
      const p = server.otx.pulses[i * 2]!;
      p.modified = `2024-07-${String(i).padStart(2, '0')}T00:00:00.000000`;
      p.indicators.push({ ...p.indicators[0]!, id: p.indicators[0]!.id + 500, indicator: `198.18.${i}.1` });
    }
    for (let i = 31; i <= 40; i++) server.otx.pulses.push(pulse(i, `2024-08-${String(i - 30).padStart(2, '0')}T00:00:00.000000`, [{ indicator: `203.0.113.${i}`, type: 'IPv4' }]));
    const [gone] = server.otx.pulses.splice(1, 1);
    server.otx.events.push({ id: 'ev1', action: 'unsubscribe', object_type: 'pulse', object_id: gone!.id, created: new Date().toISOString() });

    // Killed several times, at different points of the paging.
    server.delayMs = 40;
    for (const afterRequests of [1, 3, 6, 9, 11]) {
      const start = server.requests.length;
      const run = startCli(['feeds', 'pull', '--config', main], { env: env() });
      const deadline = Date.now() + 20_000;
      while (server.requests.length - start < afterRequests && run.child.exitCode === null && Date.now() < deadline) await sleep(5);
      run.child.kill('SIGKILL');
      await run.exited;
      // Whatever the moment, the feed is whole: the old one or the finished one.
      const now = readFileSync(feedOf('main'));
      expect(() => JSON.parse(now.toString('utf8'))).not.toThrow();
    }
    server.delayMs = 0;
    const r = await runCli(['feeds', 'pull', '--config', main], { env: env() });
    expect(r.code).toBe(0);
    expect((await runCli(['feeds', 'pull', '--config', ref], { env: env() })).code).toBe(0);
    const after = readFileSync(feedOf('ref'));
    expect(after.equals(before)).toBe(false);
    expect(readFileSync(feedOf('main')).equals(after)).toBe(true);
    expect(cursorOf('main')).toEqual(cursorOf('ref'));
    // No temporary files or locks left behind.
    expect(readdirSync(t.path('main', 'feeds'))).toEqual(['otx.json']);
    expect(readdirSync(t.path('main', 'state')).sort()).toEqual(['otx.keys', 'otx.state.json']);
  });

  it('a crash after the feed was replaced but before the state was: the next pull merges the same changes again, with the same result', async () => {
    const main = config('main');
    const ref = config('ref');
    const oldState = t.path('state-before.json');
    copyFileSync(stateOf('main'), oldState);
    server.otx.pulses.push(pulse(41, '2024-09-01T00:00:00.000000', [{ indicator: '203.0.113.41', type: 'IPv4' }]));
    server.otx.pulses[0]!.modified = '2024-09-02T00:00:00.000000';
    server.otx.pulses[0]!.indicators.push({ ...server.otx.pulses[0]!.indicators[0]!, id: 99_999, indicator: '198.18.99.1' });
    expect((await runCli(['feeds', 'pull', '--config', main], { env: env() })).code).toBe(0);
    copyFileSync(oldState, stateOf('main')); // as if killed between the two renames
    const again = await runCli(['feeds', 'pull', '--config', main], { env: env() });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('otx: unchanged');
    expect((await runCli(['feeds', 'pull', '--config', ref], { env: env() })).code).toBe(0);
    expect(readFileSync(feedOf('main')).equals(readFileSync(feedOf('ref')))).toBe(true);
    expect(cursorOf('main')).toEqual(cursorOf('ref'));
  });

  it('SIGKILL while the new feed is being checked and written leaves the old feed or the new one, never a mix', async () => {
    // A larger source, so that checking and writing the feed takes a while after the last page.
    const big = await startIntelServer();
    try {
      for (let i = 0; i < 400; i++) {
        big.otx.pulses.push(pulse(i, `2024-05-01T00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000000`, Array.from({ length: 25 }, (_, k) => ({ indicator: `10.${Math.floor(i / 200)}.${i % 200}.${k}`, type: 'IPv4' }))));
      }
      const cfg = (dir: string): string =>
        t.write(`${dir}.yaml`, `state_dir: ./${dir}/state\nfeeds_dir: ./${dir}/feeds\nfeeds:\n  - { name: otx, type: otx, url: "${big.url}", credentials: { api_key: { env: OTX_API_KEY } }, options: { limit: 100 } }\n`);
      const benv = { OTX_API_KEY: big.otx.key };
      expect((await runCli(['feeds', 'pull', '--config', cfg('wmain')], { env: benv })).code).toBe(0);
      expect((await runCli(['feeds', 'pull', '--config', cfg('wref')], { env: benv })).code).toBe(0);
      const old = readFileSync(feedOf('wmain'));
      for (let i = 0; i < 100; i++) {
        const p = big.otx.pulses[i * 4]!;
        p.modified = `2024-07-01T00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000000`;
        p.indicators[0]!.indicator = `172.16.${Math.floor(i / 200)}.${i % 200}`;
      }
      expect((await runCli(['feeds', 'pull', '--config', cfg('wref')], { env: benv })).code).toBe(0);
      const fresh = readFileSync(feedOf('wref'));
      expect(fresh.equals(old)).toBe(false);
      for (const pause of [0, 80, 200, 400, 700, 1100, 1600]) {
        const start = big.requests.length;
        const run = startCli(['feeds', 'pull', '--config', cfg('wmain')], { env: benv });
        // The last page of the changed pulses is the second one (100 changed, limit 100): wait for it, then a little more.
        const deadline = Date.now() + 20_000;
        while (big.requests.slice(start).filter((q) => q.path === '/api/v1/pulses/subscribed').length < 2 && run.child.exitCode === null && Date.now() < deadline) await sleep(2);
        await sleep(pause);
        run.child.kill('SIGKILL');
        await run.exited;
        const now = readFileSync(feedOf('wmain'));
        expect(now.equals(old) || now.equals(fresh)).toBe(true);
      }
      expect((await runCli(['feeds', 'pull', '--config', cfg('wmain')], { env: benv })).code).toBe(0);
      expect(readFileSync(feedOf('wmain')).equals(fresh)).toBe(true);
      expect(readdirSync(t.path('wmain', 'feeds'))).toEqual(['otx.json']);
    } finally {
      await big.close();
    }
  });

  it('a reader reading the feed in a loop during 50 replacements only ever sees a whole feed', async () => {
    const lines = (n: number, tag: number): string => Array.from({ length: n }, (_, i) => `10.${tag}.${Math.floor(i / 250)}.${i % 250}`).join('\n') + '\n';
    const versions = [lines(3000, 1), lines(3001, 2)];
    const hashes = versions.map((v) => createHash('sha256').update(v).digest('hex'));
    const { config: cfg } = parseConfig(
      t.path('reader.yaml'),
      `state_dir: ./reader/state\nfeeds_dir: ./reader/feeds\nfeeds:\n  - name: big\n    type: url\n    url: ${server.url}/big.txt\n`,
    );
    const source = cfg.feeds[0]!;
    const feed = t.path('reader', 'feeds', 'big.txt');
    const stop = t.path('reader-stop');
    server.files.set('/big.txt', { body: versions[0]!, etag: '"0"' });
    const reporter = recordingReporter();
    expect((await pullSource(cfg, source, { reporter })).ok).toBe(true);

    const script = `
      const fs = require('node:fs'); const crypto = require('node:crypto');
      const [feed, stop, ...good] = process.argv.slice(1);
      let reads = 0, bad = 0, missing = 0, lastBad = '';
      while (!fs.existsSync(stop)) {
        let buf;
        try { buf = fs.readFileSync(feed); } catch { missing++; continue; }
        reads++;
        const h = crypto.createHash('sha256').update(buf).digest('hex');
        if (!good.includes(h)) { bad++; lastBad = buf.length + ' bytes'; }
      }
      process.stdout.write(JSON.stringify({ reads, bad, missing, lastBad }));`;
    const reader = spawn(process.execPath, ['-e', script, feed, stop, ...hashes], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<void>((r) => reader.on('close', () => r()));
    let changed = 0;
    for (let i = 1; i <= 50; i++) {
      server.files.set('/big.txt', { body: versions[i % 2]!, etag: `"${i}"` });
      const r = await pullSource(cfg, source, { reporter });
      expect(r.error).toBeUndefined();
      if (r.changed) changed++;
    }
    writeFileSync(stop, '');
    await done;
    const seen = JSON.parse(out) as { reads: number; bad: number; missing: number };
    expect(changed).toBe(50);
    expect(seen.reads).toBeGreaterThan(50);
    expect(seen).toMatchObject({ bad: 0, missing: 0 });
    expect(existsSync(feed)).toBe(true);
    expect(readdirSync(t.path('reader', 'feeds'))).toEqual(['big.txt']);
  });
});
