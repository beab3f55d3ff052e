/**
 * Cache pruning touches only files iochunt made: `--cache-dir .` or
 * IOCHUNT_CACHE_DIR=/tmp must never delete another program's files, however
 * old they are and whatever they are named.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir('iochunt-prune-test-');
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));
const feed = t.write('feed.txt', '10.1.2.3\n');
const log = t.write('a.log', 'x 10.1.2.3\n');
const hex = (n: number) => n.toString(16).padStart(64, '0');
const DAY_AGO = (Date.now() - 24 * 3600 * 1000) / 1000;

function foreignDir(name: string) {
  const d = tmpDir(`iochunt-prune-${name}-`);
  const foreign = [
    'notes.tmp',
    'build.1234.deadbeef.tmp',
    `${hex(1)}.iocc`,
    `${hex(2)}.1234.deadbeef.tmp`,
    'x.iocc',
    `iochunt-${hex(3)}.iocc`, // iochunt's name, another program's bytes
    `.iochunt-${hex(4)}.99.cafebabe.tmp.bak`,
  ];
  for (const f of foreign) d.write(f, 'not ours\n');
  for (let i = 0; i < 14; i++) d.write(`other-${i}.iocc`, 'IOCHUNTC but not named by iochunt\n');
  const target = d.write('precious.txt', 'keep me\n');
  symlinkSync(target, d.path(`iochunt-${hex(5)}.iocc`));
  for (const f of readdirSync(d.dir)) utimesSync(d.path(f), DAY_AGO, DAY_AGO);
  return { d, all: readdirSync(d.dir) };
}

describe('cache pruning', () => {
  it('--cache-dir DIR full of other files: none of them is removed', async () => {
    const { d, all } = foreignDir('opt');
    const r = await runCli(['scan', '--cache-dir', d.dir, '-i', feed, log]);
    expect(r.code).toBe(0);
    const after = readdirSync(d.dir);
    for (const f of all) expect(after).toContain(f);
    expect(after.filter((f) => /^iochunt-[0-9a-f]{64}\.iocc$/.test(f) && !all.includes(f))).toHaveLength(1);
    rmSync(d.dir, { recursive: true, force: true });
  });

  it('IOCHUNT_CACHE_DIR: the same, and stale files of its own are still removed', async () => {
    const { d, all } = foreignDir('env');
    // Fourteen old entries and a stale temporary file of iochunt's own.
    for (let i = 0; i < 14; i++) d.write(`iochunt-${hex(100 + i)}.iocc`, 'IOCHUNTC old entry');
    d.write(`.iochunt-${hex(200)}.4242.0badf00d.tmp`, 'half written');
    // An entry of an earlier cache format: iochunt's old name and magic bytes.
    d.write(`${hex(300)}.iocc`, 'IOCHUNTC format 3');
    for (const f of readdirSync(d.dir)) if (!all.includes(f)) utimesSync(d.path(f), DAY_AGO, DAY_AGO);
    const r = await runCli(['scan', '-i', feed, log], { env: { IOCHUNT_CACHE_DIR: d.dir } });
    expect(r.code).toBe(0);
    const after = readdirSync(d.dir);
    for (const f of all) expect(after).toContain(f);
    expect(after).not.toContain(`.iochunt-${hex(200)}.4242.0badf00d.tmp`);
    expect(after).not.toContain(`${hex(300)}.iocc`);
    // Twelve entries are kept: the new one and the eleven newest old ones.
    const ours = after.filter((f) => /^iochunt-[0-9a-f]{64}\.iocc$/.test(f) && !all.includes(f));
    expect(ours).toHaveLength(12);
    rmSync(d.dir, { recursive: true, force: true });
  });
});
