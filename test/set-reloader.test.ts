/**
 * The indicator set of a long-running command (`tail` over files or Kafka):
 * loaded beside the running one, staged, swapped between cycles; a failed
 * load keeps the running set; an unchanged feed stages nothing.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ScanOptions } from '../src/commands/scan.js';
import { SetReloader } from '../src/follow/active-set.js';
import { IndicatorSetSnapshots } from '../src/indicators/indicator-set.js';
import { TailMetrics } from '../src/metrics/tail-metrics.js';
import { recordingReporter } from '../src/report.js';
import { tmpDir } from './helpers/tmp.js';

function setup() {
  const t = tmpDir();
  const feed = t.write('feed.txt', '10.1.2.3\nevil.example\n');
  const options: ScanOptions = {
    iocs: [feed],
    maxLineBytes: 1 << 20,
    domainMatch: 'subdomain',
    strict: true,
    engine: 'auto',
    threads: 1,
    summary: false,
    cacheDir: t.path('cache'),
  };
  const reporter = recordingReporter();
  const metrics = new TailMetrics();
  const abort = new AbortController();
  let staged = 0;
  const sets = new SetReloader(options, new IndicatorSetSnapshots(t.path('sets')), reporter, metrics, abort.signal, () => staged++);
  /** Replaces the feed by rename, as a downloader or a ConfigMap update does. */
  const replace = (text: string): void => {
    writeFileSync(t.path('feed.next'), text);
    renameSync(t.path('feed.next'), feed);
  };
  // Loads run in the background; wait until the reloader is idle.
  const settle = (): Promise<void> => sets.idle();
  const reloads = async (result: string): Promise<number> => (await metrics.reloads.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
  return { sets, replace, settle, reloads, reporter, abort, stagedCount: () => staged };
}

describe('SetReloader', () => {
  it('stages a changed feed beside the running set and swaps it only when asked; the old set is handed back', async () => {
    const x = setup();
    const first = await x.sets.start();
    expect(first.store.size).toBe(2);
    await x.sets.check(); // nothing changed
    await x.settle();
    expect(x.sets.staged).toBe(false);
    expect(x.stagedCount()).toBe(0);

    x.replace('10.1.2.3\nevil.example\n198.51.100.7\n');
    await x.sets.check();
    await x.settle();
    expect(x.sets.staged).toBe(true);
    expect(x.stagedCount()).toBe(1);
    expect(x.sets.current).toBe(first); // not swapped yet
    const swapped = x.sets.swap();
    expect(swapped?.old).toBe(first);
    expect(swapped?.set.store.size).toBe(3);
    expect(x.sets.current).toBe(swapped?.set);
    expect(x.sets.swap()).toBeUndefined();
    expect(await x.reloads('success')).toBe(1);
    first.engine.close();
    x.sets.close();
  });

  it('a rewrite with the same bytes stages nothing (counted as unchanged)', async () => {
    const x = setup();
    await x.sets.start();
    x.replace('10.1.2.3\nevil.example\n');
    x.sets.reload('SIGHUP');
    await x.settle();
    expect(x.sets.staged).toBe(false);
    expect(await x.reloads('unchanged')).toBe(1);
    x.sets.close();
  });

  it('a feed that no longer loads keeps the running set, logs the error, and loads again once fixed', async () => {
    const x = setup();
    const first = await x.sets.start();
    x.replace('10.1.2.3\nthis is not an indicator at all\n'); // --strict: a bad line fails the load
    await x.sets.check();
    await x.settle();
    expect(x.sets.staged).toBe(false);
    expect(x.sets.current).toBe(first);
    expect(await x.reloads('failure')).toBe(1);
    expect(x.reporter.messages.some((m) => m.level === 'error' && /stays in use/.test(m.message))).toBe(true);

    x.replace('10.1.2.3\n192.0.2.44\n');
    await x.sets.check();
    await x.settle();
    expect(x.sets.staged).toBe(true);
    expect(x.reporter.messages.some((m) => /load again/.test(m.message))).toBe(true);
    x.sets.close();
  });

  it('refuses to start on a feed that cannot be loaded, and loads nothing once stopped', async () => {
    const x = setup();
    x.replace('not an indicator\n');
    await expect(x.sets.start()).rejects.toThrow();
    const y = setup();
    await y.sets.start();
    y.abort.abort();
    y.replace('10.1.2.3\n');
    y.sets.reload('SIGHUP');
    await y.settle();
    expect(y.sets.staged).toBe(false);
    y.sets.close();
  });
});
