/**
 * `iochunt sweep`: each scenario checks the hits of all sweeps against the
 * model of what was written: every hit line exactly once, nothing else.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { SweepWorld, sorted } from './helpers/sweep-world.js';
import { runCli, CLI } from './helpers/cli.js';

let world: SweepWorld | undefined;
function w(feed?: string[]): SweepWorld {
  world = new SweepWorld(feed);
  return world;
}
afterEach(() => {
  world?.remove();
  world = undefined;
});

/** Asserts that the union of the runs' hit lines is exactly the model, each once. */
function expectExactlyOnce(x: SweepWorld, ...runs: Array<{ lines: number[] }>): void {
  const all = runs.flatMap((r) => r.lines);
  expect(sorted(all)).toEqual(sorted(new Set(all)));
  expect(sorted(all)).toEqual(sorted(x.expected));
}

function gzipFile(from: string, to: string): void {
  writeFileSync(to, gzipSync(readFileSync(from)));
  unlinkSync(from);
}

describe('iochunt sweep: reading only what is new', () => {
  it('reads appended lines once and an unchanged file not at all', async () => {
    const x = w();
    x.append('app.log', 30);
    const a = await x.sweep();
    expect(a.code).toBe(0);
    expect(a.lines).toHaveLength(10);
    const b = await x.sweep();
    expect(b.code).toBe(1);
    expect(b.lines).toEqual([]);
    x.append('app.log', 30);
    const c = await x.sweep();
    expectExactlyOnce(x, a, b, c);
    const st = JSON.parse(readFileSync(x.state, 'utf8'));
    expect(st.files).toHaveLength(1);
    expect(st.files[0].offset).toBe(statSync(x.path('app.log')).size);
  });

  it('holds back a last line without its newline until it is complete', async () => {
    const x = w();
    x.append('app.log', 3);
    appendFileSync(x.path('app.log'), 'L900 host=10.1.2');
    const a = await x.sweep();
    expect(a.lines).toEqual([3]);
    appendFileSync(x.path('app.log'), '.34 decoy completes the line\n');
    const b = await x.sweep();
    // 10.1.2.34 is a decoy: the held piece "10.1.2" + ".3" was never scanned as 10.1.2.3.
    expect(b.lines).toEqual([]);
    appendFileSync(x.path('app.log'), 'L901 host=10.1.2');
    await x.sweep();
    appendFileSync(x.path('app.log'), '.3 now\n');
    const d = await x.sweep();
    expect(d.lines).toEqual([901]);
  });

  it('marks hits as live and records them in the summary JSON', async () => {
    const x = w();
    x.append('app.log', 9);
    const summary = x.t.path('summary.json');
    const a = await x.sweep({ summaryJson: summary });
    expect(a.docs.every((d) => d.iochunt?.match?.kind === 'live')).toBe(true);
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    expect(s).toMatchObject({ files: { new: 1, seen: 1 }, live: { hitLines: 3 }, retro: { hitLines: 0 }, errors: 0 });
  });
});

describe('iochunt sweep: rotation and change', () => {
  it('rename rotation: the renamed file continues at its offset, the new one starts at 0', async () => {
    const x = w();
    x.append('app.log', 30);
    const a = await x.sweep();
    x.append('app.log', 30); // written before the rotation, not yet swept
    renameSync(x.path('app.log'), x.path('app.log.1'));
    x.append('app.log', 30);
    const b = await x.sweep();
    expectExactlyOnce(x, a, b);
    const paths = new Set(b.docs.map((d) => d.log.file.path));
    expect(paths).toEqual(new Set([x.path('app.log.1'), x.path('app.log')]));
  });

  it('rotation with compression (no delaycompress): the gzip file is known by its decompressed head', async () => {
    const x = w();
    x.append('app.log', 60);
    const a = await x.sweep();
    x.append('app.log', 30);
    renameSync(x.path('app.log'), x.path('app.log.1'));
    gzipFile(x.path('app.log.1'), x.path('app.log.1.gz'));
    x.append('app.log', 30);
    const b = await x.sweep();
    expectExactlyOnce(x, a, b);
    const gzHits = b.docs.filter((d) => d.log.file.path.endsWith('.gz'));
    expect(gzHits.length).toBe(10);
    // Offsets are in the decompressed stream, after what the first sweep read.
    expect(Math.min(...gzHits.map((d) => d.log.offset))).toBeGreaterThan(0);
  });

  it('rotation with delaycompress: .1 then .2.gz, each byte once', async () => {
    const x = w();
    x.append('app.log', 30);
    const a = await x.sweep();
    x.append('app.log', 15);
    renameSync(x.path('app.log'), x.path('app.log.1'));
    x.append('app.log.1', 6); // the writer had it open a moment longer
    x.append('app.log', 30);
    const b = await x.sweep();
    x.append('app.log', 9);
    gzipFile(x.path('app.log.1'), x.path('app.log.2.gz'));
    renameSync(x.path('app.log'), x.path('app.log.1'));
    x.append('app.log', 12);
    const c = await x.sweep();
    expectExactlyOnce(x, a, b, c);
    expect(c.lines.length).toBeGreaterThan(0);
  });

  it('copytruncate: the copy resumes at the saved offset, the truncated original starts again', async () => {
    const x = w();
    x.append('app.log', 30);
    const a = await x.sweep();
    x.append('app.log', 30); // written between the last sweep and the truncation
    copyFileSync(x.path('app.log'), x.path('app.log.1'));
    truncateSync(x.path('app.log'), 0);
    x.append('app.log', 12);
    const b = await x.sweep();
    expectExactlyOnce(x, a, b);
    const st = JSON.parse(readFileSync(x.state, 'utf8'));
    expect(st.files.filter((e: any) => !e.detached)).toHaveLength(2);
  });

  it('copytruncate then compression of the copy: nothing twice', async () => {
    const x = w();
    x.append('app.log', 30);
    const a = await x.sweep();
    x.append('app.log', 30);
    copyFileSync(x.path('app.log'), x.path('app.log.1'));
    truncateSync(x.path('app.log'), 0);
    const b = await x.sweep();
    gzipFile(x.path('app.log.1'), x.path('app.log.2.gz'));
    x.append('app.log', 15);
    copyFileSync(x.path('app.log'), x.path('app.log.1'));
    truncateSync(x.path('app.log'), 0);
    x.append('app.log', 6);
    const c = await x.sweep();
    expectExactlyOnce(x, a, b, c);
  });

  it('truncation in place (size below the offset) starts a new generation at 0', async () => {
    const x = w();
    x.append('app.log', 60);
    const a = await x.sweep();
    truncateSync(x.path('app.log'), 0);
    x.append('app.log', 9);
    const b = await x.sweep();
    expectExactlyOnce(x, a, b);
  });

  it('a rewrite in place to a larger size (same inode, other content) is a new generation', async () => {
    const x = w();
    x.append('app.log', 6);
    const a = await x.sweep();
    const before = statSync(x.path('app.log')).ino;
    writeFileSync(x.path('app.log'), x.lines(30)); // O_TRUNC keeps the inode
    expect(statSync(x.path('app.log')).ino).toBe(before);
    const b = await x.sweep();
    expectExactlyOnce(x, a, b);
  });

  it('inode reuse: a deleted file whose inode a new file takes is a new file', async () => {
    const x = w();
    x.append('old.log', 30);
    const a = await x.sweep();
    const st = JSON.parse(readFileSync(x.state, 'utf8'));
    // Forge the registry so that the new file's inode is the deleted one's.
    unlinkSync(x.path('old.log'));
    x.append('new.log', 30);
    const ino = statSync(x.path('new.log')).ino;
    st.files[0].ino = ino;
    writeFileSync(x.state, JSON.stringify(st));
    const b = await x.sweep();
    expectExactlyOnce(x, a, b);
  });

  it('a file shorter than the fingerprint is re-keyed as it grows', async () => {
    const x = w();
    x.append('app.log', 3);
    const a = await x.sweep();
    x.append('app.log', 200);
    const b = await x.sweep();
    renameSync(x.path('app.log'), x.path('app.log.1'));
    gzipFile(x.path('app.log.1'), x.path('app.log.1.gz'));
    const c = await x.sweep();
    expectExactlyOnce(x, a, b, c);
    expect(c.lines).toEqual([]);
    const entry = JSON.parse(readFileSync(x.state, 'utf8')).files.find((e: any) => e.path.endsWith('.gz'));
    expect(entry.fpLen).toBe(1024);
  });

  it('a symlink is tracked by its target', async () => {
    const x = w();
    mkdirSync(x.t.path('real'));
    const real = x.t.path('real', 'target.log');
    appendFileSync(real, x.lines(9));
    symlinkSync(real, x.path('link.log'));
    const a = await x.sweep();
    appendFileSync(real, x.lines(9));
    const b = await x.sweep();
    expectExactlyOnce(x, a, b);
    expect(JSON.parse(readFileSync(x.state, 'utf8')).files[0].ino).toBe(statSync(real).ino);
  });

  it('a file reached through two hard links is read once', async () => {
    const x = w();
    x.append('app.log', 9);
    linkSync(x.path('app.log'), x.path('same.log'));
    const a = await x.sweep();
    expectExactlyOnce(x, a);
  });

  it('forgets files not seen for --forget-after', async () => {
    const x = w();
    x.append('a.log', 3);
    x.append('b.log', 3);
    await x.sweep();
    unlinkSync(x.path('a.log'));
    const b = await x.sweep({ forgetAfterMs: 1000 });
    expect(JSON.parse(readFileSync(x.state, 'utf8')).files).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 1100));
    x.append('b.log', 1);
    const c = await x.sweep({ forgetAfterMs: 1000, summaryJson: x.t.path('s.json') });
    expect(JSON.parse(readFileSync(x.t.path('s.json'), 'utf8')).files.forgotten).toBe(1);
    expect(JSON.parse(readFileSync(x.state, 'utf8')).files.map((e: any) => e.path)).toEqual([x.path('b.log')]);
    expect(b.code).toBe(1);
    expect(c.code).toBe(1);
  });
});

describe('iochunt sweep: the retro-hunt', () => {
  it('rescans swept ranges (plain and gzip rotated) for new indicators only, exactly once', async () => {
    const x = w(['10.1.2.3']);
    // Lines with every hit token; only 10.1.2.3 is in the feed at first.
    const text = x.lines(60);
    writeFileSync(x.path('app.log'), text);
    const a = await x.sweep();
    const first = new Set(a.lines);
    renameSync(x.path('app.log'), x.path('app.log.1'));
    gzipFile(x.path('app.log.1'), x.path('app.log.1.gz'));
    writeFileSync(x.path('app.log'), x.lines(30));
    x.setFeed(['10.1.2.3', 'evil.example', 'http://bad.example/gate.php']);
    const b = await x.sweep();
    const retro = b.docs.filter((d) => d.iochunt.match.kind === 'retro');
    const live = b.docs.filter((d) => d.iochunt.match.kind === 'live');
    expect(retro.length).toBeGreaterThan(0);
    // Retro hits name only the added indicators.
    for (const d of retro) for (const e of d.threat.enrichments) expect(['evil.example', 'http://bad.example/gate.php']).toContain(e.indicator.name);
    // Together: every hit line of the model once per indicator set it gained.
    const all = [...a.lines, ...b.lines];
    expect(new Set(all)).toEqual(x.expected);
    for (const d of retro) expect(first.has(Number(/^L(\d+)/.exec(d.event.original)![1]))).toBe(false);
    expect(live.every((d) => !d.log.file.path.endsWith('.gz'))).toBe(true);
    // Never again for the same set.
    const c = await x.sweep();
    expect(c.lines).toEqual([]);
    // A removed indicator: counted, no retraction, no rescan.
    x.setFeed(['10.1.2.3', 'evil.example']);
    const d = await x.sweep({ summaryJson: x.t.path('s.json') });
    expect(d.lines).toEqual([]);
    expect(JSON.parse(readFileSync(x.t.path('s.json'), 'utf8')).retro.indicatorsRemoved).toBe(1);
  });

  it('--retro-lookback 0 turns it off; files older than the look-back are not rescanned', async () => {
    const x = w(['10.1.2.3']);
    writeFileSync(x.path('old.log'), x.lines(30));
    writeFileSync(x.path('new.log'), x.lines(30));
    await x.sweep();
    const old = new Date(Date.now() - 40 * 86_400_000);
    utimesSync(x.path('old.log'), old, old);
    x.setFeed(['10.1.2.3', 'evil.example']);
    const off = await x.sweep({ retroLookbackMs: 0 });
    expect(off.lines).toEqual([]);
    const on = await x.sweep();
    expect(on.docs.length).toBeGreaterThan(0);
    expect(new Set(on.docs.map((d) => d.log.file.path))).toEqual(new Set([x.path('new.log')]));
  });

  it('--retro-only runs the retro step and reads no new bytes', async () => {
    const x = w(['10.1.2.3']);
    writeFileSync(x.path('app.log'), x.lines(30));
    await x.sweep();
    x.append('app.log', 30);
    x.setFeed(['10.1.2.3', 'evil.example']);
    const r = await x.sweep({ retroOnly: true });
    expect(r.docs.every((d) => d.iochunt.match.kind === 'retro')).toBe(true);
    expect(Math.max(...r.lines)).toBeLessThanOrEqual(30);
    const live = await x.sweep();
    expect(live.docs.every((d) => d.iochunt.match.kind === 'live')).toBe(true);
    expect(Math.min(...live.lines)).toBeGreaterThan(30);
  });
});

describe('iochunt sweep: the state file', () => {
  it('a damaged state file is an error naming it, never a silent rescan; --reset-state starts over', async () => {
    const x = w();
    x.append('app.log', 9);
    await x.sweep();
    writeFileSync(x.state, '{"format":"iochunt-registry","version":1,"files":[{"id":1}]');
    const r = await runCli(['sweep', '--no-cache', '-i', x.feed, '--state', x.state, '-o', x.out, x.logs]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`state file ${x.state} is unusable`);
    expect(r.stderr).toContain('--reset-state');
    writeFileSync(x.state, JSON.stringify({ format: 'iochunt-registry', version: 99, sets: {}, files: [] }));
    const v = await runCli(['sweep', '--no-cache', '-i', x.feed, '--state', x.state, '-o', x.out, x.logs]);
    expect(v.code).toBe(2);
    expect(v.stderr).toContain('version 99');
    x.newDocs();
    const reset = await x.sweep({ resetState: true });
    expect(reset.lines).toHaveLength(3);
  });

  it('a second sweep on the same state is refused (exit 2) or waits with --wait', async () => {
    const x = w();
    x.append('app.log', 9);
    const { lockState } = await import('../src/registry/state-file.js');
    mkdirSync(x.t.path('state'), { recursive: true });
    const release = await lockState(x.state, 0);
    try {
      const r = await runCli(['sweep', '--no-cache', '-i', x.feed, '--state', x.state, '-o', x.out, x.logs]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('is in use by another iochunt');
      setTimeout(() => void release(), 1500);
      const waited = await runCli(['sweep', '--no-cache', '-i', x.feed, '--state', x.state, '-o', x.out, '--wait', '20', x.logs]);
      expect(waited.code).toBe(0);
    } finally {
      await release().catch(() => undefined);
    }
  });

  it('the state is written atomically: no temporary file is left and it parses', async () => {
    const x = w();
    x.append('app.log', 9);
    await x.sweep();
    const dir = x.t.path('state');
    const names = execFileSync('ls', ['-a', dir]).toString().split('\n').filter((n) => n !== '' && n !== '.' && n !== '..');
    expect(names.sort()).toEqual(['sweep.json', 'sweep.json.sets']);
    expect(readdirSync(x.t.path('state', 'sweep.json.sets'))).toHaveLength(1);
    expect(() => JSON.parse(readFileSync(x.state, 'utf8'))).not.toThrow();
  });
});

describe('iochunt sweep: the command line', () => {
  it('refuses stdin and needs a PATH', async () => {
    const x = w();
    const r = await runCli(['sweep', '-i', x.feed, '--state', x.state, '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('stdin cannot be resumed');
    const bad = await runCli(['sweep', '-i', x.feed, '--state', x.state, '--retro-lookback', 'soon', x.logs]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--retro-lookback');
  });

  it('JSONL on stdout, summary on stderr, exit codes as scan', async () => {
    const x = w();
    x.append('app.log', 9);
    const r = await runCli(['sweep', '--no-cache', '-i', x.feed, '--state', x.state, x.logs]);
    expect(r.code).toBe(0);
    expect(r.docs).toHaveLength(3);
    expect(r.stderr).toMatch(/swept 1 file\(s\): 1 new/);
    const again = await runCli(['sweep', '--no-cache', '-i', x.feed, '--state', x.state, x.logs]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/1 unchanged/);
    expect(existsSync(CLI)).toBe(true);
  });
});

describe('iochunt sweep: many files', () => {
  it('10,000 small files: all read once, then all unchanged without reading', async () => {
    const x = w();
    const { writeFileSync: write, mkdirSync: mk } = await import('node:fs');
    for (let d = 0; d < 100; d++) {
      mk(x.path(`d${d}`));
      for (let f = 0; f < 100; f++) write(x.path(`d${d}`, `f${f}.log`), x.lines(2, 2));
    }
    const a = await x.sweep({ summaryJson: x.t.path('s1.json') });
    expect(a.code).toBe(0);
    expectExactlyOnce(x, a);
    const s1 = JSON.parse(readFileSync(x.t.path('s1.json'), 'utf8'));
    expect(s1.files.new).toBe(10_000);
    const b = await x.sweep({ summaryJson: x.t.path('s2.json') });
    const s2 = JSON.parse(readFileSync(x.t.path('s2.json'), 'utf8'));
    expect(s2.files.unchanged).toBe(10_000);
    expect(s2.live.bytes).toBe(0);
    expect(b.lines).toEqual([]);
  }, 120_000);
});

describe('iochunt sweep: outputs', () => {
  it('-o /dev/null (not a regular file) is not fsynced and is no error', async () => {
    const x = w();
    x.append('app.log', 9);
    const r = await runCli(['sweep', '--no-cache', '-i', x.feed, '--state', x.state, '-o', '/dev/null', x.logs]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
  });
});

describe('iochunt sweep: binary files', () => {
  it('skips binary files found by the walk (wtmp), as scan does, unless --text', async () => {
    const x = w();
    x.append('syslog', 9);
    const rec = Buffer.alloc(384);
    rec.write('pts/0', 8);
    rec.write('10.1.2.3', 76);
    writeFileSync(x.path('wtmp'), Buffer.concat([rec, rec, rec, Buffer.from('\n')]));
    const a = await x.sweep({ summaryJson: x.t.path('s.json') });
    expect(a.code).toBe(0);
    expect(new Set(a.docs.map((d) => d.log.file.path))).toEqual(new Set([x.path('syslog')]));
    expect(JSON.parse(readFileSync(x.t.path('s.json'), 'utf8')).binarySkipped).toBe(1);
    const b = await x.sweep({ text: true });
    expect(b.docs.map((d) => d.log.file.path)).toContain(x.path('wtmp'));
  });
});

describe('iochunt sweep: output is never an input', () => {
  it('an --output inside the swept folder is skipped (appended to, never read)', async () => {
    const x = w();
    x.append('app.log', 9);
    const out = x.path('hits.jsonl');
    const a = await runCli(['sweep', '--no-cache', '-i', x.feed, '--state', x.state, '-o', out, x.logs]);
    expect(a.code).toBe(0);
    x.append('app.log', 9);
    const b = await runCli(['sweep', '--no-cache', '-i', x.feed, '--state', x.state, '-o', out, x.logs]);
    expect(b.code).toBe(0);
    expect(b.stderr).toContain('skipped: it is the output');
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l).event.original as string);
    // Both runs appended; no hit came from the output itself.
    expect(lines).toHaveLength(6);
    expect(new Set(lines).size).toBe(6);
  });
});
