import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AtomicFile, cleanTemporaries, temporaryPathFor, writeFileAtomic, writeFileAtomicSync } from '../src/fs/atomic-file.js';
import { tmpDir } from './helpers/tmp.js';

describe('atomic file replacement (one module for state, snapshots and pulled feeds)', () => {
  it('replaces the content whole, with the requested mode, leaving no temporary file', async () => {
    const { dir } = tmpDir();
    const target = join(dir, 'state.json');
    writeFileSync(target, 'old\n');
    writeFileAtomicSync(target, 'new sync\n', 0o600);
    expect(readFileSync(target, 'utf8')).toBe('new sync\n');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    await writeFileAtomic(target, Buffer.from('new async\n'), 0o644);
    expect(readFileSync(target, 'utf8')).toBe('new async\n');
    expect(statSync(target).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('leaves the target untouched and removes its temporary file when the rename fails', async () => {
    const { dir } = tmpDir();
    const target = join(dir, 'busy');
    mkdirSync(join(target, 'inside'), { recursive: true }); // a non-empty folder cannot be renamed over
    expect(() => writeFileAtomicSync(target, 'x')).toThrow();
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['busy']);
    expect(readdirSync(target)).toEqual(['inside']);
  });

  it('refuses to write where the folder does not exist (sync form) and creates it (async form)', async () => {
    const { dir } = tmpDir();
    expect(() => writeFileAtomicSync(join(dir, 'missing', 'f'), 'x')).toThrow(/ENOENT/);
    await writeFileAtomic(join(dir, 'made', 'f'), 'x');
    expect(readFileSync(join(dir, 'made', 'f'), 'utf8')).toBe('x');
  });

  it('an AtomicFile written in pieces is invisible until committed, and discard keeps the old content', async () => {
    const { dir } = tmpDir();
    const target = join(dir, 'feed.txt');
    writeFileSync(target, 'old\n');
    const f = await AtomicFile.create(target);
    await f.write('a\n');
    await f.write('b\n');
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    await f.commit();
    expect(readFileSync(target, 'utf8')).toBe('a\nb\n');
    const g = await AtomicFile.create(target);
    await g.write('never\n');
    await g.discard();
    expect(readFileSync(target, 'utf8')).toBe('a\nb\n');
    expect(readdirSync(dir)).toEqual(['feed.txt']);
  });

  it('cleanTemporaries removes the leftovers of dead writers only', async () => {
    const { dir } = tmpDir();
    const target = join(dir, 'feed.txt');
    writeFileSync(target, 'kept\n');
    // A pid that existed and is gone: a child that has exited.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const deadTemp = join(dir, `.feed.txt.${dead}.0badc0de.tmp`);
    writeFileSync(deadTemp, 'half');
    const liveTemp = join(dir, `.feed.txt.1.0badc0de.tmp`); // pid 1 is alive
    writeFileSync(liveTemp, 'half');
    const other = join(dir, `.other.txt.${dead}.0badc0de.tmp`); // another target's
    writeFileSync(other, 'half');
    expect(temporaryPathFor(target).startsWith(join(dir, `.feed.txt.${process.pid}.`))).toBe(true);
    await cleanTemporaries(target);
    expect(readdirSync(dir).sort()).toEqual([`.feed.txt.1.0badc0de.tmp`, `.other.txt.${dead}.0badc0de.tmp`, 'feed.txt'].sort());
    expect(readFileSync(target, 'utf8')).toBe('kept\n');
  });
});
