/**
 * Random sequences of appends, rotations (rename, compress, delaycompress,
 * copytruncate), truncations and sweeps, checked against the model of what
 * was written: over all sweeps, every hit line exactly once (in the manner of
 * Vector's file-source tests). A failing sequence prints its seed and steps.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, readFileSync, renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { SweepWorld, sorted } from './helpers/sweep-world.js';

const SEQUENCES = Number(process.env.IOCHUNT_SWEEP_SEQUENCES ?? 100);

/** Mulberry32: a small seeded generator, so that a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Mode = 'rename' | 'compress' | 'delaycompress' | 'copytruncate' | 'copytruncate+compress';
const MODES: Mode[] = ['rename', 'compress', 'delaycompress', 'copytruncate', 'copytruncate+compress'];

/** The rotated files of a log, newest first, as logrotate names them. */
function rotated(x: SweepWorld, max: number): Array<{ n: number; gz: boolean }> {
  const out: Array<{ n: number; gz: boolean }> = [];
  for (let n = 1; n <= max; n++) {
    if (existsSync(x.path(`app.log.${n}`))) out.push({ n, gz: false });
    else if (existsSync(x.path(`app.log.${n}.gz`))) out.push({ n, gz: true });
  }
  return out;
}

function gz(from: string, to: string): void {
  writeFileSync(to, gzipSync(readFileSync(from)));
  unlinkSync(from);
}

/** One logrotate run in `mode`: shifts app.log.N(.gz) up and rotates app.log. */
function rotate(x: SweepWorld, mode: Mode, generation: number): void {
  const name = (n: number, isGz: boolean): string => x.path(`app.log.${n}${isGz ? '.gz' : ''}`);
  for (const r of rotated(x, generation + 2).reverse()) {
    // delaycompress: the .1 file is compressed when it moves to .2.
    if (!r.gz && r.n >= 1 && mode === 'delaycompress') gz(name(r.n, false), name(r.n + 1, true));
    else renameSync(name(r.n, r.gz), name(r.n + 1, r.gz));
  }
  if (!existsSync(x.path('app.log'))) return;
  if (mode.startsWith('copytruncate')) {
    copyFileSync(x.path('app.log'), name(1, false));
    truncateSync(x.path('app.log'), 0);
  } else {
    renameSync(x.path('app.log'), name(1, false));
    writeFileSync(x.path('app.log'), '');
  }
  if (mode === 'compress' || mode === 'copytruncate+compress') gz(name(1, false), name(1, true));
}

describe('iochunt sweep against a model', () => {
  it(`${SEQUENCES} random sequences: every hit line exactly once`, async () => {
    for (let seq = 0; seq < SEQUENCES; seq++) {
      const seed = 1000 + seq;
      const random = rng(seed);
      const mode = MODES[Math.floor(random() * MODES.length)] as Mode;
      const x = new SweepWorld();
      const steps: string[] = [`mode ${mode}`];
      const all: number[] = [];
      let generation = 0;
      try {
        const ops = 4 + Math.floor(random() * 10);
        for (let i = 0; i < ops; i++) {
          const r = random();
          if (r < 0.4) {
            const k = 1 + Math.floor(random() * 40);
            x.append('app.log', k);
            steps.push(`append ${k}`);
          } else if (r < 0.6) {
            rotate(x, mode, generation++);
            steps.push('rotate');
          } else if (r < 0.67 && existsSync(x.path('app.log.1'))) {
            // The writer still had the renamed file open for a moment.
            if (!mode.startsWith('copytruncate')) {
              x.append('app.log.1', 3);
              steps.push('late append to app.log.1');
            }
          } else if (r < 0.74) {
            // Truncation in place right after a sweep (nothing unswept is lost).
            all.push(...(await x.sweep()).lines);
            if (existsSync(x.path('app.log'))) truncateSync(x.path('app.log'), 0);
            steps.push('sweep, truncate');
          } else {
            const run = await x.sweep();
            expect(run.code, run.messages.map((m) => m.message).join('\n')).toBeLessThan(2);
            all.push(...run.lines);
            steps.push(`sweep (${run.lines.length} hits)`);
          }
        }
        all.push(...(await x.sweep()).lines);
        expect(sorted(all)).toEqual(sorted(new Set(all)));
        expect(sorted(all)).toEqual(sorted(x.expected));
      } catch (err) {
        throw new Error(`sequence seed ${seed} failed: ${steps.join('; ')}\n${(err as Error).message}`);
      } finally {
        x.remove();
      }
    }
  }, 600_000);
});
