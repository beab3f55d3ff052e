import { describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { CLI, runCli, runShell, startCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir();
const feed = t.write('feed.txt', '10.1.2.3\nevil.example\nhxxp://bad[.]example/x.php\nd41d8cd98f00b204e9800998ecf8427e\nphish@evil.example\n2001:db8::/32\n');
const csv = t.write('more.csv', 'indicator,type,description,severity\n192.0.2.7,ip,scanner,high\nevil.example,domain,also listed here,low\n');

describe('iochunt scan (end to end)', () => {
  it('prints one ECS document per matching line and exits 0', async () => {
    const log = t.write('a.log', 'ok 10.1.2.3 - -\nnothing here 110.1.2.3\nGET http://CDN.EVIL.example./x\n');
    const r = await runCli(['scan', '--iocs', feed, log]);
    expect(r.code).toBe(0);
    expect(r.docs).toHaveLength(2);
    const [first, second] = r.docs;
    expect(first).toMatchObject({
      event: { kind: 'enrichment', original: 'ok 10.1.2.3 - -' },
      log: { file: { path: log }, offset: 0 },
      threat: {
        enrichments: [
          {
            indicator: { name: '10.1.2.3', type: 'ipv4-addr', ip: '10.1.2.3' },
            matched: { atomic: '10.1.2.3', field: 'message', type: 'indicator_match_rule' },
            feed: { name: [feed] },
          },
        ],
      },
    });
    expect(Date.parse(first?.['@timestamp'])).not.toBeNaN();
    // The file's inode, as Filebeat's log.file.inode: it names the file across renames by rotation.
    expect(first?.log.file.inode).toBe(String(statSync(log).ino));
    expect(second?.log.offset).toBe(39);
    expect(second?.threat.enrichments[0]).toMatchObject({
      indicator: { name: 'evil.example', type: 'domain-name', url: { domain: 'evil.example' } },
      matched: { atomic: 'CDN.EVIL.example' },
    });
    expect(r.stderr).toMatch(/loaded 6 indicators/);
    expect(r.stderr).toMatch(/2 line\(s\) with hits/);
  });

  it('exits 1 when nothing matches, and prints nothing on stdout', async () => {
    const log = t.write('none.log', 'clean line 110.1.2.3 notevil.example\n');
    const r = await runCli(['scan', '--iocs', feed, log]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });

  it('merges sources from several feeds and carries feed metadata', async () => {
    const log = t.write('m.log', 'x evil.example 192.0.2.7\n');
    const r = await runCli(['scan', '--iocs', feed, '--iocs', csv, log]);
    expect(r.code).toBe(0);
    const doc = r.docs[0]!;
    expect(doc.event.severity).toBe(73);
    expect(doc.threat.enrichments).toEqual([
      {
        indicator: { name: 'evil.example', type: 'domain-name', url: { domain: 'evil.example' }, description: 'also listed here', severity: 'low' },
        matched: { atomic: 'evil.example', field: 'message', type: 'indicator_match_rule' },
        feed: { name: [feed, csv] },
      },
      {
        indicator: { name: '192.0.2.7', type: 'ipv4-addr', ip: '192.0.2.7', description: 'scanner', severity: 'high' },
        matched: { atomic: '192.0.2.7', field: 'message', type: 'indicator_match_rule' },
        feed: { name: [csv] },
      },
    ]);
  });

  it('deduplicates repeated matches of a line and keeps every indicator', async () => {
    const log = t.write('d.log', '10.1.2.3 -> 10.1.2.3 ::ffff:10.1.2.3 2001:db8::5 D41D8CD98F00B204E9800998ECF8427E PHISH@evil.example\n');
    const r = await runCli(['scan', '--iocs', feed, log]);
    const names = r.docs[0]!.threat.enrichments.map((e: any) => e.indicator.name);
    expect(names).toEqual(['10.1.2.3', '2001:db8::/32', 'd41d8cd98f00b204e9800998ecf8427e', 'phish@evil.example', 'evil.example']);
    expect(r.docs[0]!.threat.enrichments[1].indicator.ip).toBeUndefined();
    expect(r.docs[0]!.threat.enrichments[2].indicator.file).toEqual({ hash: { md5: 'd41d8cd98f00b204e9800998ecf8427e' } });
  });

  it('reads stdin when no path or - is given', async () => {
    for (const args of [[], ['-']]) {
      const r = await runCli(['scan', '--iocs', feed, ...args], { stdin: 'a\nb 10.1.2.3\n' });
      expect(r.code).toBe(0);
      expect(r.docs.map((d) => [d.log.file.path, d.log.offset])).toEqual([['-', 2]]);
      // A pipe has no stable inode.
      expect(r.docs[0]?.log.file.inode).toBeUndefined();
    }
  });

  it('reads gzip from stdin and from files by content', async () => {
    const gz = gzipSync('x\ny 10.1.2.3\n');
    const r1 = await runCli(['scan', '--iocs', feed], { stdin: gz });
    expect(r1.docs.map((d) => d.log.offset)).toEqual([2]);
    const p = t.write('rotated.1', Buffer.concat([gzipSync('first 10.1.2.3\n'), gzipSync('second evil.example\n')]));
    const r2 = await runCli(['scan', '--iocs', feed, p]);
    expect(r2.docs.map((d) => d.event.original)).toEqual(['first 10.1.2.3', 'second evil.example']);
    expect(r2.docs.map((d) => d.log.offset)).toEqual([0, 15]);
  });

  it('keeps the hits before a gzip break, names the file and offset, and exits 2', async () => {
    const lines = Array.from({ length: 200_000 }, (_, i) => (i % 1000 === 0 ? `hit ${i} 10.1.2.3` : `line ${i} 192.168.${i % 256}.1`));
    const gz = gzipSync(lines.join('\n') + '\n');
    const broken = t.write('broken.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const after = t.write('after.log', 'after 10.1.2.3\n');
    const r = await runCli(['scan', '--iocs', feed, broken, after]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`error: ${broken}: gzip stream broken at compressed byte \\d+ \\(decompressed offset \\d+\\): truncated`));
    const fromBroken = r.docs.filter((d) => d.log.file.path === broken);
    // Exactly the planted lines that were complete (newline included) before the break.
    const brokeAt = Number(/decompressed offset (\d+)/.exec(r.stderr)?.[1]);
    const text = lines.join('\n') + '\n';
    const expected: number[] = [];
    let offset = 0;
    for (const l of lines) {
      if (offset + l.length + 1 > brokeAt) break;
      if (l.startsWith('hit ')) expected.push(offset);
      offset += l.length + 1;
    }
    expect(expected.length).toBeGreaterThan(50);
    expect(fromBroken.map((d) => d.log.offset)).toEqual(expected);
    for (const d of fromBroken) expect(text.slice(d.log.offset, d.log.offset + d.event.original.length)).toBe(d.event.original);
    expect(r.docs.at(-1)?.log.file.path).toBe(after);
  });

  it('keeps the complete lines of a small truncated gzip, and never a cut last line', async () => {
    // The break falls inside "10.1.2.34": the cut text must not hit 10.1.2.3.
    const gz = gzipSync('a 10.1.2.3\nb evil.example\nc 10.1.2.34 and more text to cut\n', { level: 0 });
    const cutAt = gz.indexOf(Buffer.from('10.1.2.34')) + 8;
    const broken = t.write('small-broken.gz', gz.subarray(0, cutAt));
    const r = await runCli(['scan', '--iocs', feed, broken]);
    expect(r.code).toBe(2);
    expect(r.docs.map((d) => d.event.original)).toEqual(['a 10.1.2.3', 'b evil.example']);
  });

  it('reports an unreadable input, scans the others, and exits 2', async () => {
    const good = t.write('good.log', '10.1.2.3\n');
    const r = await runCli(['scan', '--iocs', feed, t.path('missing.log'), good]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${t.path('missing.log')}: no such file or directory`);
    expect(r.docs).toHaveLength(1);
  });

  it('scans a 20 MiB line in pieces with a warning, finding indicators at both ends', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 0x61);
    big.write(' 10.1.2.3 ', 100);
    big.write(' evil.example ', big.length - 200);
    const p = t.write('huge.log', Buffer.concat([Buffer.from('first\n'), big, Buffer.from('\nlast 10.1.2.3\n')]));
    const r = await runCli(['scan', '--iocs', feed, p]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/line at offset 6 is longer than --max-line-bytes 16777216; scanned in pieces/);
    const found = r.docs.flatMap((d) => d.threat.enrichments.map((e: any) => [d.log.offset, e.indicator.name]));
    expect(found).toEqual([
      [6, '10.1.2.3'],
      [6 + 16 * 1024 * 1024, 'evil.example'],
      [6 + big.length + 1, '10.1.2.3'],
    ]);
  });

  it('survives NUL bytes and invalid UTF-8, replacing bad bytes in the output', async () => {
    const p = t.write('bin.log', Buffer.concat([Buffer.from('a\x00b 10.1.2.3 '), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(' evil.example\x00\n')]));
    const r = await runCli(['scan', '--iocs', feed, p]);
    expect(r.code).toBe(0);
    expect(r.docs[0]!.event.original).toBe('a\u0000b 10.1.2.3 \uFFFD\uFFFD\uFFFD( evil.example\u0000');
    expect(r.docs[0]!.threat.enrichments.map((e: any) => e.indicator.name)).toEqual(['10.1.2.3', 'evil.example']);
  });

  it('writes hits to --output and nothing to stdout', async () => {
    const log = t.write('o.log', 'x 10.1.2.3\n');
    const out = t.path('hits.jsonl');
    const r = await runCli(['scan', '--iocs', feed, '--output', out, log]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('walks a directory in name order and reports hits in that order', async () => {
    t.write('dir/b.log', 'b 10.1.2.3\n');
    t.write('dir/a.log.2.gz', gzipSync('a2 10.1.2.3\n'));
    t.write('dir/sub/c.log', 'c 10.1.2.3\n');
    const r = await runCli(['scan', '--iocs', feed, '--threads', '2', t.path('dir')]);
    expect(r.docs.map((d) => d.event.original)).toEqual(['a2 10.1.2.3', 'b 10.1.2.3', 'c 10.1.2.3']);
  });

  it('ends quietly when the reader of stdout goes away', () => {
    const log = t.write('many.log', Array.from({ length: 300_000 }, (_, i) => `line ${i} 10.1.2.3`).join('\n'));
    const r = runShell(`node ${CLI} scan --no-info --iocs ${feed} ${log} | head -n 2; echo "status=\${PIPESTATUS[0]}"`);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect(r.stdout.trim()).toMatch(/status=0$/);
    // --no-info leaves only warnings (e.g. a missing native engine); no EPIPE, no stack.
    expect(r.stderr).not.toMatch(/EPIPE|error|at .*\.js:\d+/i);
  });

  it('with --strict, an invalid feed entry exits 2 before scanning', async () => {
    const bad = t.write('bad.txt', '10.1.2.3\nnot-an-indicator\n');
    const log = t.write('s.log', '10.1.2.3\n');
    const lax = await runCli(['scan', '--iocs', bad, log]);
    expect(lax.code).toBe(0);
    expect(lax.stderr).toContain(`${bad}:2: skipped "not-an-indicator"`);
    const strict = await runCli(['scan', '--strict', '--iocs', bad, log]);
    expect(strict.code).toBe(2);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toContain('(--strict)');
  });

  it('rejects bad options with a message naming the option, exit 2', async () => {
    const r1 = await runCli(['scan', '--iocs', feed, '--threads', 'many']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('Expected a whole number from 1 to 256 for --threads but received "many"');
    const r2 = await runCli(['scan', '--iocs', feed, '--domain-match', 'sub']);
    expect(r2.stderr).toContain('(did you mean subdomain?)');
    const r3 = await runCli(['scan', 'x.log']);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('scan needs at least one --iocs FILE');
    const r4 = await runCli(['scan', '--iocs', t.path('nofeed.txt'), 'x.log']);
    expect(r4.code).toBe(2);
    expect(r4.stderr).toContain(`${t.path('nofeed.txt')}: cannot read indicator feed: no such file`);
  });

  it('has --help for the program and every command', async () => {
    for (const args of [['--help'], ['scan', '--help'], ['help', 'scan']]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
    }
    const r = await runCli(['scan', '--help']);
    expect(r.stdout).toContain('--max-line-bytes');
    // Help text is wrapped to the terminal width.
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('Exit status: 0 hits found, 1 none, 2 error');
  });

  it('matches domains exactly with --domain-match exact', async () => {
    const log = t.write('e.log', 'a cdn.evil.example\nb evil.example\n');
    const r = await runCli(['scan', '--iocs', feed, '--domain-match', 'exact', log]);
    expect(r.docs.map((d) => d.event.original)).toEqual(['b evil.example']);
  });
});

describe('iochunt scan interrupted', () => {
  it('on SIGINT stops reading an open stdin, writes the hits of what it scanned as whole lines, and exits 130', async () => {
    const out = t.path('interrupted.jsonl');
    const { child, exited, stderr } = startCli(['scan', '--iocs', feed, '--output', out]);
    // 8 MiB of lines, every tenth with a hit; stdin stays open, as a tail would leave it.
    const lines = Array.from({ length: 160_000 }, (_, i) => (i % 10 === 0 ? `line ${i} from 10.1.2.3` : `line ${i} from 110.1.2.3 nothing`).padEnd(52, '.'));
    child.stdin.write(lines.join('\n') + '\n');
    let size = 0;
    for (let i = 0; i < 200 && size === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        size = statSync(out).size;
      } catch {
        size = 0;
      }
    }
    expect(size).toBeGreaterThan(0);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr()).toMatch(/interrupted \(SIGINT\)/);
    const text = readFileSync(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const docs = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { event: { original: string } });
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.length).toBeLessThan(16_000);
    for (const d of docs) expect(d.event.original).toMatch(/ from 10\.1\.2\.3\.*$/);
  });
});

describe('iochunt scan on a pipe that is fed slowly (tail -F | iochunt scan)', () => {
  it('writes the hits of each line once the pipe pauses, before the input ends', async () => {
    const { child, exited, stdout } = startCli(['scan', '--iocs', feed]);
    const docsSoFar = (): number => stdout().split('\n').filter((l) => l !== '').length;
    const waitFor = async (n: number): Promise<void> => {
      for (let i = 0; i < 300 && docsSoFar() < n; i++) await new Promise((r) => setTimeout(r, 50));
    };
    child.stdin.write('first line from 10.1.2.3\nnothing from 110.1.2.3\n');
    await waitFor(1);
    expect(docsSoFar()).toBe(1);
    expect(child.exitCode).toBeNull();
    child.stdin.write('second line, evil.example\n');
    await waitFor(2);
    expect(docsSoFar()).toBe(2);
    child.stdin.end('third 10.1.2.3\n');
    expect(await exited).toBe(0);
    const docs = stdout().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { log: { offset: number } });
    expect(docs.map((d) => d.log.offset)).toEqual([0, 48, 74]);
  });
});
