import { describe, expect, it } from 'vitest';
import { symlinkSync } from 'node:fs';
import { relative } from 'node:path';
import { expandPaths } from '../src/input/expand-paths.js';
import { tmpDir } from './helpers/tmp.js';

async function list(args: string[], base: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of expandPaths(args)) out.push('error' in e ? `ERROR ${relative(base, e.path)}` : e.path === '-' ? '-' : relative(base, e.path));
  return out;
}

describe('path expansion', () => {
  const t = tmpDir();
  for (const f of ['logs/b.log', 'logs/a.log', 'logs/sub/z.log', 'logs/sub/A.log', 'logs/B2/x.log', 'logs/a.log.1', 'other.log']) t.write(f, 'x\n');
  symlinkSync(t.path('logs'), t.path('logs/sub/loop'));

  it('walks directories recursively in a stable name order, once per file, without looping', async () => {
    expect(await list([t.path('logs')], t.dir)).toEqual([
      'logs/B2/x.log',
      'logs/a.log',
      'logs/a.log.1',
      'logs/b.log',
      'logs/sub/A.log',
      'logs/sub/z.log',
    ]);
  });

  it('keeps argument order, expands globs sorted, and reads a file named twice once', async () => {
    expect(await list([t.path('other.log'), t.path('logs/*.log'), t.path('logs/a.log')], t.dir)).toEqual([
      'other.log',
      'logs/a.log',
      'logs/b.log',
    ]);
  });

  it('reports missing paths and empty globs in place and goes on', async () => {
    expect(await list([t.path('missing.log'), t.path('nothing-*.log'), t.path('other.log')], t.dir)).toEqual([
      'ERROR missing.log',
      'ERROR nothing-*.log',
      'other.log',
    ]);
  });

  it('reads stdin for no path and for -', async () => {
    expect(await list([], t.dir)).toEqual(['-']);
    expect(await list(['-'], t.dir)).toEqual(['-']);
  });
});
