/**
 * `iochunt sweep` with the real logrotate (create, copytruncate, compress,
 * delaycompress): across rotations every hit line is reported exactly once.
 * Skipped where logrotate is not installed (CI installs it).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { SweepWorld, sorted } from './helpers/sweep-world.js';

const HAVE_LOGROTATE = spawnSync('logrotate', ['--version']).status === 0;
const CONFIGS: Record<string, string[]> = {
  create: ['create'],
  'create + compress': ['create', 'compress'],
  'create + compress + delaycompress': ['create', 'compress', 'delaycompress'],
  copytruncate: ['copytruncate'],
  'copytruncate + compress + delaycompress': ['copytruncate', 'compress', 'delaycompress'],
};

describe.skipIf(!HAVE_LOGROTATE)('iochunt sweep with the real logrotate', () => {
  for (const [name, directives] of Object.entries(CONFIGS)) {
    it(`${name}: every hit line exactly once over four rotations`, async () => {
      const x = new SweepWorld();
      try {
        const conf = x.t.path('logrotate.conf');
        writeFileSync(conf, `${x.path('app.log')} {\n  rotate 20\n  missingok\n${directives.map((d) => `  ${d}\n`).join('')}}\n`, { mode: 0o644 });
        const status = x.t.path('logrotate.status');
        const logrotate = (): void => {
          const r = spawnSync('logrotate', ['-f', '-s', status, conf], { encoding: 'utf8' });
          expect(r.status, r.stderr).toBe(0);
        };
        const all: number[] = [];
        x.append('app.log', 40);
        for (let round = 0; round < 4; round++) {
          all.push(...(await x.sweep()).lines);
          x.append('app.log', 25); // written after the sweep, before the rotation
          logrotate();
          x.append('app.log', 10);
        }
        const last = await x.sweep();
        all.push(...last.lines);
        expect(last.code).toBeLessThan(2);
        expect(sorted(all)).toEqual(sorted(new Set(all)));
        expect(sorted(all)).toEqual(sorted(x.expected));
      } finally {
        x.remove();
      }
    });
  }
});
