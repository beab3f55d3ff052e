/**
 * One matching core decides scan, allowlists and `iocs check`: the checks
 * and the allowlist run the engine over a text as scan runs it over a line.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { loadAllowlist } from '../src/filters/allowlist.js';
import { recordingReporter } from '../src/report.js';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

const scan = (args: string[], stdin: string) => runCli(['scan', '--no-cache', '--format', 'none', ...args], { stdin });
const atoms = (docs: Array<Record<string, any>>) => docs.flatMap((d) => d.threat.enrichments.map((e: any) => `${e.indicator.name}=${e.matched.atomic}`));

describe('allowlists apply the rules scan applies', () => {
  it('a URL allowlisted by the same URL does not hit when the log adds a query string', async () => {
    const feed = t.write('u.txt', 'http://bad.example/gate.php\nbad.example\n');
    const allow = t.write('allow-u.txt', 'http://bad.example/gate.php\n');
    const r = await scan(['-i', feed, '--allow', allow], 'GET http://bad.example/gate.php?id=7&x=1\nGET http://bad.example/other\n');
    // The URL is allowlisted (whatever its query); the domain, listed on its own, still hits on both lines.
    expect(atoms(r.docs)).toEqual(['bad.example=bad.example', 'bad.example=bad.example']);
  });

  it('scheme-less URL entries (Zeek intel meta.whitelist T) suppress the URL under any scheme', async () => {
    const feed = t.write('z.txt', 'http://bad.example/gate.php\nhttps://bad.example/gate.php\n');
    const allow = t.write(
      'allow.intel',
      '#fields\tindicator\tindicator_type\tmeta.source\tmeta.whitelist\nbad.example/gate.php\tIntel::URL\ttest\tT\n',
    );
    const r = await scan(['-i', feed, '--allow', allow], 'a http://bad.example/gate.php?id=7\nb https://BAD.example/gate.php\nc http://bad.example/gate.phpx\n');
    expect(r.code).toBe(1);
    expect(r.docs).toEqual([]);
    expect((await loadAllowlist([allow], recordingReporter())).covers('http://bad.example/gate.php')).toMatchObject({ how: 'exact', entry: 'bad.example/gate.php' });
  });

  it('an allowlisted address covers a URL on that address; an allowlisted name elsewhere in a URL does not cover it', async () => {
    const feed = t.write('a.txt', 'http://10.1.2.3/x\nhttp://evil.example/x\n');
    const allow = t.write('allow-a.txt', '10.1.2.0/24\ngood.example\n');
    const r = await scan(['-i', feed, '--allow', allow], 'GET http://10.1.2.3/x\nGET http://evil.example/x?r=http://good.example/\n');
    expect(atoms(r.docs)).toEqual(['http://evil.example/x=http://evil.example/x?r=http://good.example/']);
  });

  it('judges escaped matches by their decoded text', async () => {
    const feed = t.write('e.txt', 'evil.example\nhttps://evil.example/x\n');
    const allow = t.write('allow-e.txt', 'cdn.evil.example\nhttps://evil.example/x\n');
    const r = await scan(['-i', feed, '--allow', allow], 'a u=https%3A%2F%2Fcdn.evil.example%2Fy\nb u=https%3A%2F%2Fevil.example%2Fx%3Fq%3D1&z\nc u=https%3A%2F%2Fc2.evil.example%2Fy\n');
    // a: cdn.evil.example allowlisted; b: the encoded URL allowlisted (its query aside), its host still hits the domain.
    expect(atoms(r.docs)).toEqual(['evil.example=evil.example', 'evil.example=c2.evil.example']);
  });
});

describe('iocs check finds what scan finds', () => {
  it('a URL with a query string, an address inside a URL, a scheme-less URL, a log line', async () => {
    const feed = t.write('c.txt', 'http://bad.example/gate.php\n10.1.2.3\n');
    const zeek = t.write('c.intel', '#fields\tindicator\tindicator_type\tmeta.source\nzeek.example/p\tIntel::URL\ttest\n');
    const q = await runCli(['iocs', 'check', 'http://bad.example/gate.php?id=7', '-i', feed]);
    expect(q.code).toBe(0);
    expect(q.stdout).toBe(`http://bad.example/gate.php?id=7: exact url http://bad.example/gate.php from ${feed}:1\n`);
    const inUrl = await runCli(['iocs', 'check', 'http://10.1.2.3/x', '-i', feed]);
    expect(inUrl.code).toBe(0);
    expect(inUrl.stdout).toBe(`http://10.1.2.3/x: exact ipv4-addr 10.1.2.3 (matched "10.1.2.3") from ${feed}:2\n`);
    const bare = await runCli(['iocs', 'check', 'https://zeek.example/p?x', '-i', zeek]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toContain('exact url zeek.example/p');
    const line = await runCli(['iocs', 'check', '10.9.9.9 - - "GET /r?u=http%3A%2F%2F10.1.2.3%2Fx HTTP/1.1"', 'hxxp://bad[.]example/gate.php', '-i', feed]);
    expect(line.code).toBe(0);
    expect(line.stdout.split('\n')[0]).toMatch(/: exact ipv4-addr 10\.1\.2\.3 \(matched "10\.1\.2\.3"\) from /);
    expect(line.stdout.split('\n')[1]).toBe(`http://bad.example/gate.php: exact url http://bad.example/gate.php from ${feed}:1`);
    // Decoys are decoys here too, as in scan.
    const decoy = await runCli(['iocs', 'check', '110.1.2.3', 'http://bad.example/gate.phpx', '-i', feed]);
    expect(decoy.code).toBe(1);
    expect(decoy.stdout).toBe('110.1.2.3 (ipv4-addr): not covered\nhttp://bad.example/gate.phpx (url): not covered\n');
  });

  it('--domain-match exact as scan has it', async () => {
    const feed = t.write('dm.txt', 'evil.example\n');
    const sub = await runCli(['iocs', 'check', 'cdn.evil.example', '-i', feed]);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toBe(`cdn.evil.example: parent-domain domain-name evil.example from ${feed}:1\n`);
    const exact = await runCli(['iocs', 'check', '--domain-match', 'exact', 'cdn.evil.example', 'EVIL.example.', '-i', feed]);
    expect(exact.code).toBe(0);
    expect(exact.stdout).toBe(`cdn.evil.example (domain-name): not covered\nevil.example: exact domain-name evil.example (matched "EVIL.example") from ${feed}:1\n`);
  });

  it('with --allow, says which matched text is allowlisted, as scan would judge it', async () => {
    const feed = t.write('d.txt', 'http://bad.example/gate.php\n');
    const allow = t.write('d-allow.txt', 'http://bad.example/gate.php\n');
    const r = await runCli(['iocs', 'check', 'http://bad.example/gate.php?id=7', '-i', feed, '--allow', allow]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`http://bad.example/gate.php?id=7: allowlisted (exact http://bad.example/gate.php from ${allow}:1); it never produces a hit`);
    const s = await scan(['-i', feed, '--allow', allow], 'http://bad.example/gate.php?id=7\n');
    expect(s.docs).toEqual([]);
  });
});
