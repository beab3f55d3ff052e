import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { CLI, parseJsonl, runCli, startCli } from './helpers/cli.js';
import { compress, FORMATS, logText, SUFFIX, zstdSkippableFrame } from './helpers/compress.js';
import { processes } from './helpers/procs.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

const feed = t.write('feed.txt', '10.66.66.66\nevil.example\n');
const body = logText(20_000);
const lastLine = 'May  1 12:00:00 host sshd[7]: Accepted password from 10.66.66.66 port 22';

describe('scan of compressed inputs (end to end)', () => {
  it('finds a hit on the very last line of every format, with log.offset in the decompressed stream', async () => {
    const dir = t.path('last');
    const content = `${body}${lastLine}\n`;
    for (const format of FORMATS) t.write(`last/app${SUFFIX[format]}`, compress(format, content));
    t.write('last/plain.log', content);
    const r = await runCli(['scan', '--iocs', feed, dir]);
    expect(r.stderr).not.toMatch(/error|warning/);
    expect(r.code).toBe(0);
    const byFile = new Map(r.docs.map((d) => [basename(d.log.file.path as string), d]));
    expect([...byFile.keys()].sort()).toEqual(['app.bz2', 'app.gz', 'app.lz4', 'app.xz', 'app.zst', 'plain.log']);
    for (const doc of byFile.values()) {
      expect(doc.event.original).toBe(lastLine);
      expect(doc.log.offset).toBe(body.length);
    }
  });

  it('reads compressed input on stdin', async () => {
    for (const format of ['xz', 'zstd', 'bzip2'] as const) {
      const r = await runCli(['scan', '--iocs', feed, '-'], { stdin: compress(format, `${body}${lastLine}`) });
      expect(r.code).toBe(0);
      expect(r.docs.map((d) => [d.log.file.path, d.log.offset])).toEqual([['-', body.length]]);
    }
  });

  // Damage the decoder can see without reading to the end (xz may wait for
  // more input after damaged data, as `xz -dc` does, but not after a stream
  // followed by garbage).
  it.each([
    ['gzip', 'corrupt'],
    ['zstd', 'corrupt'],
    ['xz', 'garbage'],
  ] as const)('%s (%s) on a stdin that stays open: reported, and iochunt exits without waiting for the pipe to end', async (format, damage) => {
    let packed = Buffer.from(compress(format, `${lastLine}\n${body}`));
    if (damage === 'corrupt') for (let i = packed.length >> 1; i < (packed.length >> 1) + 64; i++) packed[i] = (packed[i] as number) ^ 0x5a;
    // xz fills its 8 KiB input buffer before it looks: more than that.
    else packed = Buffer.concat([packed, Buffer.from('garbage that is not xz at all\n'.repeat(4000))]);
    const run = startCli(['scan', '--iocs', feed, '-']);
    run.child.stdin.write(packed);
    // stdin is not ended: the exit must come from the error alone.
    const code = await run.exited;
    run.child.stdin.destroy();
    expect(code).toBe(2);
    expect(parseJsonl(run.stdout()).map((d) => d.log.offset)).toEqual([0]);
    expect(run.stderr()).toMatch(new RegExp(`iochunt: error: -: ${format} stream broken at .*corrupt data`));
  });

  it('gzip followed by trailing data: the hit on the last line of the valid member is kept, exit 2', async () => {
    const gz = compress('gzip', `${body}${lastLine}\n`);
    const p = t.write('trailing/app.log.gz', Buffer.concat([gz, Buffer.from('plain text appended to the .gz 10.66.66.66\n')]));
    const r = await runCli(['scan', '--iocs', feed, p]);
    expect(r.code).toBe(2);
    expect(r.docs.map((d) => [d.event.original, d.log.offset])).toEqual([[lastLine, body.length]]);
    expect(r.stderr).toContain(
      `iochunt: error: ${p}: gzip stream followed by data that is not gzip, at compressed byte ${gz.length} ` +
        `(decompressed offset ${body.length + lastLine.length + 1}): text (not compressed) after member 1`,
    );
  });

  it('gzip whose CRC is damaged: its data is scanned, the damage reported, exit 2', async () => {
    const gz = Buffer.from(compress('gzip', `${body}${lastLine}\n`));
    gz[gz.length - 8] = (gz[gz.length - 8] as number) ^ 1;
    const p = t.write('crc/app.log.gz', gz);
    const r = await runCli(['scan', '--iocs', feed, p]);
    expect(r.code).toBe(2);
    expect(r.docs.map((d) => d.log.offset)).toEqual([body.length]);
    expect(r.stderr).toMatch(/app\.log\.gz: gzip stream broken at compressed byte \d+ \(decompressed offset \d+\): corrupt data \(CRC-32 mismatch/);
  });

  it('a truncated xz file: complete lines before the break are scanned, the piece at the break is not', async () => {
    const xz = compress('xz', `${lastLine}\n${body}${lastLine}\n`);
    const p = t.write('cut/app.log.xz', xz.subarray(0, xz.length - 100));
    const r = await runCli(['scan', '--iocs', feed, p]);
    expect(r.code).toBe(2);
    expect(r.docs.map((d) => d.log.offset)).toEqual([0]);
    const m = /app\.log\.xz: xz stream broken at decompressed offset (\d+): truncated/.exec(r.stderr);
    expect(m).not.toBeNull();
    expect(Number(m?.[1])).toBeGreaterThan(lastLine.length);
  });

  it('zstd through the zstd program (runtimes without zstd in zlib): frames and skippable frames', async () => {
    const zst = Buffer.concat([zstdSkippableFrame(Buffer.from('meta')), compress('zstd', body), compress('zstd', `${lastLine}\n`)]);
    const p = t.write('zstd-tool/app.log.zst', zst);
    const r = await runCli(['scan', '--iocs', feed, p], { env: { IOCHUNT_ZSTD_TOOL: '1' } });
    expect(r.code).toBe(0);
    expect(r.docs.map((d) => d.log.offset)).toEqual([body.length]);
  });

  it('a missing decompressor: one message naming the package, the input counted unreadable, the others scanned', async () => {
    const emptyPath = t.path('empty-bin');
    mkdirSync(emptyPath, { recursive: true });
    const xz = t.write('missing/app.log.xz', compress('xz', `${lastLine}\n`));
    const zst = t.write('missing/app.log.zst', compress('zstd', `${lastLine}\n`));
    const plain = t.write('missing/plain.log', `${lastLine}\n`);
    const r = await runCli(['scan', '--iocs', feed, xz, zst, plain], { env: { PATH: emptyPath, IOCHUNT_ZSTD_TOOL: '1' } });
    expect(r.code).toBe(2);
    expect(r.docs.map((d) => d.log.file.path)).toEqual([plain]);
    expect(r.stderr).toContain(
      `iochunt: error: ${xz}: xz-compressed, but the \`xz\` program that decompresses it is not installed (on Debian or Ubuntu: apt-get install xz-utils)`,
    );
    expect(r.stderr).toContain('apt-get install zstd');
    expect(r.stderr.match(/not installed/g)).toHaveLength(2);
    // zstd is read in process when the runtime has it: no program needed.
    const inProcess = await runCli(['scan', '--iocs', feed, zst], { env: { PATH: emptyPath } });
    expect(inProcess.code).toBe(0);
  });

  it('reads indicator feeds compressed in every format', async () => {
    const log = t.write('feeds/app.log', `a ${lastLine}\nb visit evil.example now\nc nothing 10.66.66.6\n`);
    for (const format of FORMATS) {
      const f = t.write(`feeds/feed${SUFFIX[format]}`, compress(format, '# listed\n10.66.66.66\nevil.example\n'));
      const r = await runCli(['scan', '--iocs', f, log]);
      expect(r.code, format).toBe(0);
      expect(r.docs.map((d) => d.log.offset)).toEqual([0, lastLine.length + 3]);
      expect(r.stderr).toMatch(/loaded 2 indicators/);
    }
    const broken = compress('xz', '10.66.66.66\n'.repeat(50_000));
    const f = t.write('feeds/broken.xz', broken.subarray(0, broken.length >> 1));
    const r = await runCli(['scan', '--iocs', f, log]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.xz: cannot read indicator feed: xz stream broken at decompressed offset \d+: truncated/);
  });

  it('a stock Debian-like /var/log tree is scanned with exit 0 and every planted hit found', async () => {
    const root = t.path('varlog');
    const before = body.slice(0, body.indexOf('\n', 20_000) + 1);
    const plant = (name: string): string => `${before}Dec  1 00:00:00 host planted[1]: ${name} talks to 10.66.66.66\n${body.slice(before.length, 60_000)}`;
    const files: Record<string, Buffer | string> = {
      'syslog': plant('syslog'),
      'syslog.1': plant('syslog.1'),
      'syslog.2.gz': compress('gzip', plant('syslog.2.gz')),
      'auth.log': 'Dec  1 00:00:00 host sshd[1]: nothing here\n',
      'apt/eipp.log.xz': compress('xz', plant('apt/eipp.log.xz')),
      'apt/history.log.1.gz': compress('gzip', plant('apt/history.log.1.gz')),
      'journal-export/app.log.1.zst': compress('zstd', plant('journal-export/app.log.1.zst')),
      'dpkg.log.2.bz2': compress('bzip2', plant('dpkg.log.2.bz2')),
      'archive/old.log.lz4': compress('lz4', plant('archive/old.log.lz4')),
      'wtmp': '',
      'btmp': '',
      'lastlog': Buffer.alloc(4096),
      'installer/empty.gz': compress('gzip', ''),
      'installer/empty.xz': compress('xz', ''),
    };
    for (const [name, content] of Object.entries(files)) t.write(`varlog/${name}`, content);
    symlinkSync('syslog', `${root}/syslog.latest`);
    chmodSync(`${root}/btmp`, 0o600);
    const r = await runCli(['scan', '--iocs', feed, root]);
    expect(r.stderr).not.toMatch(/error|warning/);
    expect(r.code).toBe(0);
    const planted = r.docs.map((d) => /planted\[1\]: (\S+) talks/.exec(d.event.original as string)?.[1]).sort();
    expect(planted).toEqual(['apt/eipp.log.xz', 'apt/history.log.1.gz', 'archive/old.log.lz4', 'dpkg.log.2.bz2', 'journal-export/app.log.1.zst', 'syslog', 'syslog.1', 'syslog.2.gz']);
    for (const d of r.docs) expect(d.log.offset).toBe(before.length);
  });
});

describe('decompressing child processes of the CLI', () => {
  it('are ended when the reader of the output goes away (| head -1), none left behind', async () => {
    // A wrapper that runs the real xz under a name unique to this test, to find its processes.
    const bin = t.path('marker-bin');
    mkdirSync(bin, { recursive: true });
    const marker = `xz-iochunt-test-${process.pid}-${Date.now()}`;
    writeFileSync(`${bin}/xz`, `#!/bin/bash\nexec -a ${marker} ${execFileSync('bash', ['-c', 'command -v xz'], { encoding: 'utf8' }).trim()} "$@"\n`);
    chmodSync(`${bin}/xz`, 0o755);
    const many = Array.from({ length: 30_000 }, (_, i) => `line ${i} from 10.66.66.66 ${'x'.repeat(i % 50)}`).join('\n') + '\n';
    const p = t.write('head/app.log.xz', compress('xz', many.repeat(3)));
    const markers = (): string[] =>
      processes()
        .map((p) => p.args)
        .filter((a) => a.startsWith(marker));

    const child = spawn(process.execPath, [CLI, 'scan', '--iocs', feed, p], {
      env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const first = await new Promise<string>((resolve) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const nl = buf.indexOf('\n');
        if (nl >= 0) resolve(buf.slice(0, nl));
      });
    });
    expect(parseJsonl(first)[0]?.log.offset).toBe(0);
    // The decompressor runs while the scan does.
    expect(markers().length).toBe(1);
    child.stdout.destroy(); // as `head -1` exits
    await exited;
    let left = markers();
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = markers();
    }
    expect(left).toEqual([]);
  });
});
