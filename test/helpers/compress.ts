/**
 * Compresses test data with the real programs (gzip, zstd, xz, bzip2, lz4),
 * as the files a user scans were made.
 */
import { execFileSync } from 'node:child_process';

export type Format = 'gzip' | 'zstd' | 'xz' | 'bzip2' | 'lz4';

export const FORMATS: readonly Format[] = ['gzip', 'zstd', 'xz', 'bzip2', 'lz4'];

/** The usual file name suffix of each format. */
export const SUFFIX: Readonly<Record<Format, string>> = { gzip: '.gz', zstd: '.zst', xz: '.xz', bzip2: '.bz2', lz4: '.lz4' };

const COMMAND: Readonly<Record<Format, readonly string[]>> = {
  gzip: ['gzip', '-c'],
  zstd: ['zstd', '-q', '-c'],
  xz: ['xz', '-c'],
  bzip2: ['bzip2', '-c'],
  lz4: ['lz4', '-q', '-c'],
};

/** `data` compressed by the format's own program, reading stdin and writing stdout. */
export function compress(format: Format, data: string | Buffer): Buffer {
  const [cmd, ...args] = COMMAND[format] as [string, ...string[]];
  return execFileSync(cmd, args, { input: data, maxBuffer: 1 << 28 });
}

/** A zstd skippable frame (magic 0x184D2A5x, little-endian length, payload). */
export function zstdSkippableFrame(payload: Buffer, nibble = 0): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0x184d2a50 + nibble, 0);
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

/**
 * Deterministic log lines that do not compress to almost nothing (so that a
 * cut in the middle of the compressed file is in the middle of the data).
 */
export function logText(lines: number, seed = 1): string {
  let x = seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const token = Math.floor(rnd() * 0xffffffff).toString(16) + Math.floor(rnd() * 0xffffffff).toString(36);
    out.push(`2024-05-0${1 + (i % 9)}T12:00:00Z host app[${i % 977}]: req ${token} from 192.0.2.${i % 200} ok`);
  }
  return out.join('\n') + '\n';
}
