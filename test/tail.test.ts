/**
 * `iochunt tail` following real files while they are written, rotated and
 * truncated; stopped with SIGTERM and started again; reloading its feeds.
 * Each scenario checks the hits against the model of what was written:
 * every hit line exactly once, nothing else.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { SweepWorld, lineNumber, sorted } from './helpers/sweep-world.js';
import { outputDocs, parseMetrics, startTail, waitFor } from './helpers/tail-run.js';
import { runCli } from './helpers/cli.js';

let world: SweepWorld | undefined;
function w(feed?: string[]): SweepWorld {
  world = new SweepWorld(feed);
  return world;
}
afterEach(() => {
  world?.remove();
  world = undefined;
});

/** Every hit line of the model exactly once in `lines`, nothing else. */
function expectExactlyOnce(x: SweepWorld, lines: number[]): void {
  expect(sorted(lines)).toEqual(sorted(new Set(lines)));
  expect(sorted(lines)).toEqual(sorted(x.expected));
}

/** Replaces the feed atomically (a temp file renamed over it), as feed downloaders do. */
function replaceFeed(x: SweepWorld, lines: readonly string[]): void {
  const tmp = `${x.feed}.tmp`;
  writeFileSync(tmp, `${lines.join('\n')}\n`);
  renameSync(tmp, x.feed);
}

const firstPass = (run: { stderr(): string }) => () => run.stderr().includes('first pass done');

describe('iochunt tail: following files', () => {
  it('reads appended lines and new files as they come; SIGTERM exits 0; a restart goes on where it stopped', async () => {
    const x = w();
    x.append('app.log', 30);
    const run = startTail(x);
    await run.caughtUp();
    x.append('app.log', 30);
    x.append('other.log', 30);
    await run.caughtUp();
    expect(await run.stop()).toBe(0);
    expect(run.stderr()).toMatch(/SIGTERM: no more input is read/);
    x.append('app.log', 30);
    const again = startTail(x);
    await again.caughtUp();
    expect(await again.stop()).toBe(0);
    expectExactlyOnce(x, again.lines());
  }, 60_000);

  it('holds a line without its newline until it is complete', async () => {
    const x = w();
    x.append('app.log', 3);
    const run = startTail(x);
    await run.caughtUp();
    appendFileSync(x.path('app.log'), 'L900 host=10.1.2');
    await new Promise((r) => setTimeout(r, 800));
    appendFileSync(x.path('app.log'), '.34 decoy completes the line\n');
    x.append('app.log', 3);
    await run.caughtUp();
    expect(await run.stop()).toBe(0);
    // 10.1.2.34 is a decoy: the piece "10.1.2" was never scanned alone.
    expectExactlyOnce(x, run.lines());
  }, 60_000);

  it('rename rotation: the renamed file is read to its end (lines written after the rename too), the new file from 0', async () => {
    const x = w();
    x.append('app.log', 30);
    // Only app.log is followed: app.log.1 is found beside it by inode.
    const run = startTail(x, ['--close-renamed-after', '1s'], [x.path('app.log')]);
    await run.caughtUp();
    for (let round = 0; round < 3; round++) {
      x.append('app.log', 20);
      renameSync(x.path('app.log'), x.path(`app.log.${round + 1}`));
      x.append(`app.log.${round + 1}`, 7); // a writer still holding the old file
      x.append('app.log', 20);
      await run.caughtUp();
    }
    // A last line without newline in a renamed file is read once the file is idle.
    appendFileSync(x.path('app.log.3'), 'L5000 host=10.1.2.3 no newline');
    await waitFor('the unterminated last line of the renamed file', () => run.lines().includes(5000));
    expect(await run.stop()).toBe(0);
    x.expected.add(5000);
    expectExactlyOnce(x, run.lines());
  }, 60_000);

  it('rotation with compression: the gzip file continues the renamed one; only its unread tail is read', async () => {
    const x = w();
    x.append('app.log', 30);
    const run = startTail(x, [], [x.path('app.log')]);
    await run.caughtUp();
    await run.stop();
    // While no tail runs: lines written, rotated and compressed.
    x.append('app.log', 25);
    renameSync(x.path('app.log'), x.path('app.log.1'));
    writeFileSync(x.path('app.log.1.gz'), gzipSync(readFileSync(x.path('app.log.1'))));
    unlinkSync(x.path('app.log.1'));
    x.append('app.log', 10);
    const again = startTail(x, [], [x.path('app.log')]);
    await again.caughtUp();
    x.append('app.log', 10);
    await again.caughtUp();
    expect(await again.stop()).toBe(0);
    expectExactlyOnce(x, again.lines());
  }, 60_000);

  it('copytruncate: the lines in the copy not read before the truncation are read from the copy; the truncated file from 0', async () => {
    const x = w();
    x.append('app.log', 30);
    const run = startTail(x, ['--scan-interval', '5s', '--no-watch'], [x.path('app.log')]);
    await run.caughtUp();
    for (let round = 0; round < 3; round++) {
      x.append('app.log', 20 + round); // not read yet: the next cycle is seconds away
      copyFileSync(x.path('app.log'), x.path(`app.log.${round + 1}`));
      truncateSync(x.path('app.log'), 0);
      x.append('app.log', 5);
      await run.caughtUp();
    }
    expect(await run.stop()).toBe(0);
    expectExactlyOnce(x, run.lines());
  }, 90_000);

  it('truncation in place starts a new generation from 0', async () => {
    const x = w();
    x.append('app.log', 60);
    const run = startTail(x);
    await run.caughtUp();
    truncateSync(x.path('app.log'), 0);
    x.append('app.log', 9);
    await run.caughtUp();
    writeFileSync(x.path('app.log'), x.lines(12));
    await run.caughtUp();
    expect(await run.stop()).toBe(0);
    expectExactlyOnce(x, run.lines());
  }, 60_000);

  it('--from end: files found at start are read only from their end; later files from their beginning', async () => {
    const x = w();
    x.append('app.log', 30);
    appendFileSync(x.path('app.log'), 'L7000 host=10.1.2.3 partial at start'); // completed later: read then
    x.expected.clear();
    const run = startTail(x, ['--from', 'end']);
    await waitFor('the first pass', firstPass(run));
    appendFileSync(x.path('app.log'), '\n');
    x.expected.add(7000);
    x.append('app.log', 30);
    x.append('new.log', 30);
    await run.caughtUp();
    expect(await run.stop()).toBe(0);
    // The start of the partial line is not a line of its own: "L7000…" is reported whole.
    expectExactlyOnce(x, run.lines());
  }, 60_000);

  it('stdin ("-") is scanned as scan does', async () => {
    const x = w();
    const r = await runCli(['tail', '--no-cache', '-i', x.feed, '-'], { stdin: x.lines(9) });
    expect(r.code).toBe(0);
    expect(sorted(r.docs.map(lineNumber))).toEqual(sorted(x.expected));
  });

  it('refuses a run without feeds, and a second tail on the same state', async () => {
    const x = w();
    const none = await runCli(['tail', x.logs]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--iocs/);
    const run = startTail(x);
    await waitFor('the first pass', firstPass(run));
    const second = await runCli(['tail', '--no-cache', '-i', x.feed, '--state', x.state, x.logs]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/in use by another iochunt/);
    expect(await run.stop()).toBe(0);
  }, 60_000);
});

describe('iochunt tail: live indicator reload', () => {
  it('a feed replaced by rename: new lines are scanned with the new set, earlier lines retro-hunted for the added indicators only, each hit once', async () => {
    const x = w(['10.1.2.3', 'http://bad.example/gate.php']);
    const full = ['10.1.2.3', 'evil.example', 'http://bad.example/gate.php'];
    // evil.example is not in the first feed: its lines are expected only once the feed has it.
    x.append('app.log', 60);
    const run = startTail(x);
    await waitFor('the first pass', firstPass(run));
    x.append('app.log', 30);
    await new Promise((r) => setTimeout(r, 600));
    replaceFeed(x, full);
    await waitFor('the reload', () => run.stderr().includes('indicators reloaded'));
    x.append('app.log', 60);
    await run.caughtUp();
    expect(await run.stop()).toBe(0);
    const docs = outputDocs(x.out);
    expectExactlyOnce(x, docs.map(lineNumber));
    const retro = docs.filter((d) => d.iochunt?.match?.kind === 'retro');
    expect(retro.length).toBeGreaterThan(0);
    for (const d of retro) {
      for (const e of d.threat.enrichments) expect(e.indicator.name).toMatch(/(^|\.)evil\.example$/);
    }
    expect(docs.filter((d) => d.iochunt?.match?.kind === 'live').length).toBe(docs.length - retro.length);
  }, 60_000);

  it('SIGHUP with a broken feed keeps the running set (error logged, metric set); a fixed feed loads again', async () => {
    const x = w();
    x.append('app.log', 30);
    const run = startTail(x, ['--metrics-listen', '127.0.0.1:0']);
    const url = await run.metricsUrl();
    await run.caughtUp();
    writeFileSync(x.feed, 'this is not an indicator\nneither is this\n');
    run.child.kill('SIGHUP');
    await waitFor('the failed reload', () => /reloading the indicators \(.*\) failed; the running set \w+ stays in use/.test(run.stderr()));
    const m = parseMetrics(await (await fetch(url)).text());
    expect(m.get('iochunt_indicator_reload_success')).toBe(0);
    expect(m.get('iochunt_indicator_reloads_total{result="failure"}')).toBeGreaterThanOrEqual(1);
    // The old set still hits.
    x.append('app.log', 30);
    await run.caughtUp();
    replaceFeed(x, ['10.1.2.3', 'evil.example', 'http://bad.example/gate.php']);
    await waitFor('the good reload', () => run.stderr().includes('the indicator feeds load again'));
    expect(await run.stop()).toBe(0);
    expectExactlyOnce(x, run.lines());
  }, 60_000);
});

describe('iochunt tail: metrics and health', () => {
  it('/metrics counts what was written; /healthz and /readyz answer; no path or indicator in any label', async () => {
    const x = w();
    x.append('app.log', 90);
    x.append('b.log', 45);
    const run = startTail(x, ['--metrics-listen', '127.0.0.1:0', '--log-format', 'json']);
    const url = await run.metricsUrl().catch(async () => {
      // JSON messages: the address is inside a JSON string.
      return '';
    });
    let base = url;
    if (base === '') {
      await waitFor('the metrics address in JSON', () => /metrics on http:\/\/[^\s"]+/.test(run.stderr()));
      base = (/metrics on (http:\/\/[^\s"]+\/metrics)/.exec(run.stderr()) as RegExpExecArray)[1] as string;
    }
    await run.caughtUp();
    await new Promise((r) => setTimeout(r, 500));
    const text = await (await fetch(base)).text();
    const m = parseMetrics(text);
    const docs = outputDocs(x.out);
    expect(m.get('iochunt_hit_lines_total{kind="live"}')).toBe(docs.length);
    const matches = [...m.entries()].filter(([k]) => k.startsWith('iochunt_matches_total{')).reduce((a, [, v]) => a + v, 0);
    expect(matches).toBe(docs.reduce((a, d) => a + d.threat.enrichments.length, 0));
    const bytes = readFileSync(x.path('app.log')).length + readFileSync(x.path('b.log')).length;
    expect(m.get('iochunt_read_bytes_total{kind="live"}')).toBe(bytes);
    expect(m.get('iochunt_lag_bytes')).toBe(0);
    expect(m.get('iochunt_indicators{type="ipv4-addr"}')).toBe(1);
    expect(text).not.toContain(x.logs);
    expect(text).not.toContain('evil.example');
    for (const name of text.match(/^# TYPE (\S+) counter$/gm) ?? []) expect(name).toMatch(/_total counter$/);
    const health = await fetch(base.replace('/metrics', '/healthz'));
    expect(health.status).toBe(200);
    const ready = await fetch(base.replace('/metrics', '/readyz'));
    expect(ready.status).toBe(200);
    expect(await run.stop()).toBe(0);
    // --log-format json: every message line is a JSON object.
    for (const line of run.stderr().split('\n').filter((l) => l !== '')) expect(JSON.parse(line)['log.level']).toMatch(/^(info|warning|error)$/);
  }, 60_000);
});

describe('iochunt tail: the state file cannot be written', () => {
  it('reports it, keeps delivering, and writes the state again once it can (no crash)', async () => {
    const x = w();
    x.append('app.log', 30);
    const run = startTail(x);
    await run.caughtUp();
    const committed = (): boolean => existsSync(x.state) && JSON.parse(readFileSync(x.state, 'utf8')).files[0]?.offset === statSync(x.path('app.log')).size;
    await waitFor('the state written', committed);
    const before = readFileSync(x.state, 'utf8');
    // The temporary file of the atomic write cannot be created (as on a full disk: the write fails).
    const blocker = `${x.state.replace(/[^/]+$/, '')}.sweep.json.${run.child.pid}.tmp`;
    mkdirSync(blocker);
    x.append('app.log', 30);
    await run.caughtUp();
    await waitFor('the warning', () => /cannot write the state file .*; retrying/.test(run.stderr()));
    expect(readFileSync(x.state, 'utf8')).toBe(before);
    rmdirSync(blocker);
    await waitFor('the state written again', committed);
    expect(run.stderr()).toMatch(/is written again/);
    expect(await run.stop()).toBe(0);
    expectExactlyOnce(x, run.lines());
  }, 60_000);
});

describe('iochunt tail: a 100 MB line', () => {
  it('is scanned in pieces of --max-line-bytes: its hit is found, lines around it too, memory stays bounded', async () => {
    const x = w();
    const big = x.path('big.log');
    appendFileSync(big, 'L1 host=10.1.2.3 before\n');
    const chunk = 'x'.repeat(1024 * 1024);
    appendFileSync(big, 'L2 ');
    for (let i = 0; i < 100; i++) appendFileSync(big, chunk);
    appendFileSync(big, ' 10.1.2.3 end\nL3 host=10.1.2.3 after\n');
    const run = startTail(x, ['--metrics-listen', '127.0.0.1:0']);
    const url = await run.metricsUrl();
    await waitFor('the three hits', () => outputDocs(x.out).length >= 3, 60_000);
    const m = parseMetrics(await (await fetch(url)).text());
    expect(m.get('iochunt_hit_lines_total{kind="live"}')).toBe(3);
    // Pieces of 16 MiB, not the whole line in memory (Node alone takes about 100 MiB).
    expect(m.get('iochunt_process_resident_memory_bytes')).toBeLessThan(450 * 1024 * 1024);
    expect(await run.stop()).toBe(0);
    expect(run.stderr()).toMatch(/longer than --max-line-bytes/);
    const originals = outputDocs(x.out).map((d) => String(d.event.original));
    expect(originals[0]).toMatch(/^L1 /);
    expect(originals[2]).toMatch(/^L3 /);
    expect(originals[1]).toMatch(/10\.1\.2\.3 end$/);
  }, 90_000);
});
