/**
 * The puller as a library (what `tail` calls on each source's interval):
 * results say whether the feed changed and where it is, sources fall due on
 * their interval, one source is never pulled twice at once, and sources with
 * nothing yet give empty feeds that load without complaint.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config/index.js';
import { loadFeeds } from '../src/indicators/load.js';
import { recordingReporter } from '../src/report.js';
import { dueSources, pullSource, pullSources, readState } from '../src/sources/index.js';
import { runCli } from './helpers/cli.js';
import { startIntelServer, type IntelServer } from './helpers/intel-server.js';
import { tmpDir } from './helpers/tmp.js';

describe('sources library', () => {
  const t = tmpDir('iochunt-lib-');
  let server: IntelServer;
  let config: Config;
  const env = (): NodeJS.ProcessEnv => ({ OTX_API_KEY: server.otx.key, MISP_KEY: server.misp.key });

  beforeAll(async () => {
    server = await startIntelServer();
    server.files.set('/ips.txt', { body: '192.0.2.77\n', etag: '"a"' });
    config = parseConfig(
      t.path('lib.yaml'),
      `state_dir: ./state
feeds_dir: ./feeds
feeds:
  - { name: otx, type: otx, url: "${server.url}", interval: 1h, credentials: { api_key: { env: OTX_API_KEY } } }
  - { name: misp, type: misp, url: "${server.url}", interval: 10m, credentials: { api_key: { env: MISP_KEY } } }
  - { name: list, type: url, url: "${server.url}/ips.txt", interval: 5m }
  - { name: off, type: url, url: "${server.url}/ips.txt", enabled: false }
`,
    ).config;
  });
  afterAll(async () => {
    await server.close();
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('pulls every enabled source; empty OTX and MISP sources give empty feeds that load without invalid entries', async () => {
    const reporter = recordingReporter();
    const results = await pullSources(config, [], { reporter, env: env() });
    expect(results.map((r) => [r.name, r.ok, r.changed, r.indicators])).toEqual([
      ['otx', true, true, 0],
      ['misp', true, true, 0],
      ['list', true, true, 1],
    ]);
    expect(results[0]!.feedPath).toBe(t.path('feeds', 'otx.json'));
    expect(results[2]!.feedPath).toBe(t.path('feeds', 'list.txt'));
    const loaded = await loadFeeds([t.path('feeds', 'otx.json'), t.path('feeds', 'misp.json')]);
    expect(loaded.feeds.map((f) => [f.format, f.invalid])).toEqual([
      ['otx', 0],
      ['misp', 0],
    ]);
    const scan = await runCli(['scan', '--iocs', t.path('feeds', 'otx.json'), '--iocs', t.path('feeds', 'misp.json'), '--iocs', t.path('feeds', 'list.txt')], { stdin: 'x 192.0.2.77 y\n' });
    expect(scan.code).toBe(0);
    expect(scan.stderr).not.toContain('warning');
  });

  it('a second pull reports no change; sources fall due on their interval', async () => {
    const reporter = recordingReporter();
    const again = await pullSource(config, config.feeds[2]!, { reporter });
    expect(again).toMatchObject({ ok: true, changed: false, indicators: 1, previousIndicators: 1 });
    const state = await readState(config.stateDir, 'list');
    const last = Date.parse(state!.lastAttempt!);
    expect((await dueSources(config, last + 60_000)).map((s) => s.name)).toEqual([]);
    expect((await dueSources(config, last + 5 * 60_000 + 1000)).map((s) => s.name)).toEqual(['list']);
    expect((await dueSources(config, last + 2 * 3_600_000)).map((s) => s.name)).toEqual(['otx', 'misp', 'list']);
  });

  it('an unreadable state file fails the pull with a way out, and is left as it is', async () => {
    const path = t.path('state', 'list.state.json');
    const good = readFileSync(path);
    writeFileSync(path, '{"version": 1, "name": "li');
    try {
      const r = await pullSource(config, config.feeds[2]!, { reporter: recordingReporter() });
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(new RegExp(`^list: state ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is unreadable \\(.*\\); remove it to pull list from the start$`));
      expect(readFileSync(path, 'utf8')).toBe('{"version": 1, "name": "li');
    } finally {
      writeFileSync(path, good);
    }
  });

  it('one source is never pulled twice at once; the loser says so and changes nothing', async () => {
    server.delayMs = 300;
    server.files.set('/ips.txt', { body: '192.0.2.77\n192.0.2.78\n', etag: '"b"' });
    try {
      const reporter = recordingReporter();
      const [a, b] = await Promise.all([pullSource(config, config.feeds[2]!, { reporter }), pullSource(config, config.feeds[2]!, { reporter })]);
      const loser = a.ok ? b : a;
      expect([a.ok, b.ok].sort()).toEqual([false, true]);
      expect(loser.error).toBe('list: a pull of this source is already running in this process');
      expect(readFileSync(t.path('feeds', 'list.txt'), 'utf8')).toBe('192.0.2.77\n192.0.2.78\n');
    } finally {
      server.delayMs = 0;
    }
  });
});
