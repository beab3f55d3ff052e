/**
 * Messages are safe and say the right thing: control characters from feeds,
 * logs, file names and option values are escaped (one message, one line, no
 * terminal escape sequence gets through); credentials given to --es in any
 * form are never echoed; --strict names every feed with its own invalid
 * entries; argument errors carry the `iochunt: error:` prefix; positions in
 * JSON feeds are not called lines; stdin is read by one consumer only.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';
import { escapeControls } from '../src/report.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));
const feed = t.write('feed.txt', '10.1.2.3\n');
const log = t.write('a.log', 'x 10.1.2.3\n');
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;

/** Every stderr line is a message with the iochunt prefix (or commander's help hint); no raw control character. */
function expectSafe(stderr: string): void {
  expect(stderr).not.toMatch(RAW_CONTROL);
  for (const line of stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^iochunt: |^\(run with --help for usage\)$/);
}

describe('control characters in messages', () => {
  it('escapes them centrally', () => {
    expect(escapeControls('a\u001b[31mred\u0007\nnext\r\t\u009b\u202eevil\u2028')).toBe('a\\e[31mred\\x07\\nnext\\r\\t\\x9b\\u202eevil\\u2028');
    expect(escapeControls('plain – ünïcode ✓')).toBe('plain – ünïcode ✓');
  });

  it('from feed entries', async () => {
    const bad = t.write('ctl.txt', '10.1.2.3\n\u001b]0;owned\u0007\n\u001b[2Jwipe\n');
    const r = await runCli(['scan', '--no-cache', '-i', bad, log]);
    expect(r.code).toBe(0);
    expectSafe(r.stderr);
    // Feed values are quoted as JSON strings: their control characters are \u escapes.
    expect(r.stderr).toContain('ctl.txt:2: skipped "\\u001b]0;owned\\u0007"');
  });

  it('from feed text that reaches a reason unquoted (a STIX object path)', async () => {
    const stix = t.write(
      'ctl.json',
      JSON.stringify({ type: 'bundle', objects: [
        { type: 'indicator', pattern: "[ipv4-addr:value = '10.1.2.3']", pattern_type: 'stix' },
        { type: 'indicator', pattern: "[x\u001b]0;owned\u0007:value = 'a']", pattern_type: 'stix' },
      ] }),
    );
    const r = await runCli(['scan', '--no-cache', '-i', stix, log]);
    expect(r.code).toBe(0);
    expectSafe(r.stderr);
    expect(r.stderr).toMatch(/\(object 2\): skipped .*: malformed STIX pattern: unexpected character "\\e"\n/);
  });

  it('in iocs stats and iocs check output', async () => {
    const stix = t.write(
      'ctl2.json',
      JSON.stringify({ type: 'bundle', objects: [
        { type: 'indicator', pattern: "[ipv4-addr:value = '10.1.2.3']", pattern_type: 'stix' },
        { type: 'indicator', pattern: "[x\u001b]0;owned\u0007:value = 'a']", pattern_type: 'stix' },
      ] }),
    );
    const named = t.write('feed\u001b[1m.txt', '10.1.2.3\n');
    const stats = await runCli(['iocs', 'stats', stix, named]);
    expect(stats.code).toBe(0);
    expect(stats.stdout).not.toMatch(RAW_CONTROL);
    expect(stats.stdout).toContain('unexpected character "\\e"');
    const check = await runCli(['iocs', 'check', '10.1.2.3', '-i', named]);
    expect(check.code).toBe(0);
    expect(check.stdout).not.toMatch(RAW_CONTROL);
    expect(check.stdout).toContain('feed\\e[1m.txt');
  });

  it('from file names (a newline in a name does not start a second message)', async () => {
    const r = await runCli(['scan', '--no-cache', '-i', feed, t.path('no\nsuch\u001bX.log'), log]);
    expect(r.code).toBe(2);
    expectSafe(r.stderr);
    expect(r.stderr).toContain('no\\nsuch\\eX.log: no such file or directory');
    const f = await runCli(['scan', '--no-cache', '-i', t.path('feed\u001b[5m.txt'), log]);
    expectSafe(f.stderr);
    expect(f.stderr).toContain('feed\\e[5m.txt: cannot read indicator feed');
  });

  it('from log lines cut by --max-line-bytes, in a file with an escape in its name', async () => {
    const p = t.write('long\u001b[7m.log', `${'y'.repeat(3000)} 10.1.2.3\n`);
    const r = await runCli(['scan', '--no-cache', '--max-line-bytes', '1K', '-i', feed, p]);
    expectSafe(r.stderr);
    expect(r.stderr.match(/longer than --max-line-bytes/g)).toHaveLength(1);
  });

  it('from option values and arguments, with the iochunt: error: prefix on argument errors', async () => {
    for (const args of [
      ['scan', '--threads', '1\u001b[31m'],
      ['scan', '--bogus\u001b[31m'],
      ['bogus\u0007'],
      ['iocs', 'check'],
      ['scan', '--iocs'],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expectSafe(r.stderr);
      expect(r.stderr, args.join(' ')).toMatch(/^iochunt: error: /);
    }
  });
});

describe('--es credentials are never echoed', () => {
  it.each([
    'user:s3cr3tpw@host:9200',
    'user:s3cr3tpw@host',
    'user:s3cr3tpw@host:9200/path',
    'user:s3cr3tpw@host:9200?x=1',
    'http:user:s3cr3tpw@host:9200',
    'https://user:s3cr3tpw@host:9200',
    'https://user:s3c@r3tpw@host:9200',
    'https://host:9200/?api_key=s3cr3tpw',
    'ftp://user:s3cr3tpw@host',
    'http://user:s3cr3tpw@host:99999',
    ':s3cr3tpw@host',
  ])('%s', async (url) => {
    const r = await runCli(['scan', '-i', feed, '--es', url, log]);
    expect(r.code).toBe(2);
    expectSafe(r.stderr);
    expect(r.stderr).not.toMatch(/s3c@?r3tpw|user:/);
    expect(r.stderr).toMatch(/iochunt: error: .*--es/);
  });
});

describe('--strict names each feed', () => {
  it('with its own count and first invalid entry', async () => {
    const good = t.write('good.txt', '10.1.2.3\n');
    const b1 = t.write('b1.txt', 'x\ny\n10.1.2.4\n');
    const b2 = t.write('b2.txt', '10.1.2.5\nzz\n');
    const r = await runCli(['scan', '--strict', '--no-cache', '-i', good, '-i', b1, '-i', b2, log]);
    expect(r.code).toBe(2);
    const err = r.stderr.split('\n').find((l) => l.startsWith('iochunt: error:')) as string;
    expect(err).toBe(
      `iochunt: error: 3 invalid indicator entries (--strict): 2 in ${b1} (first at ${b1}:1: a domain needs at least two labels); ` +
        `1 in ${b2} (first at ${b2}:2: a domain needs at least two labels)`,
    );
    expect(err).not.toContain(`${good}`);
  });
});

describe('feed positions', () => {
  it('are lines in line-based feeds and numbered objects in JSON feeds', async () => {
    const stix = t.write(
      'f.json',
      JSON.stringify({
        type: 'bundle',
        objects: [
          { type: 'indicator', pattern: "[ipv4-addr:value = '10.1.2.3']", pattern_type: 'stix' },
          { type: 'indicator', pattern: "[ipv4-addr:value = '999.1.2.3']", pattern_type: 'stix' },
        ],
      }, null, 2),
    );
    const r = await runCli(['scan', '--no-cache', '-i', stix, log]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${stix} (object 2): skipped "999.1.2.3"`);
    expect(r.stderr).not.toMatch(/f\.json:\d/);
    const plain = t.write('p.txt', '10.1.2.3\n\nnot-valid\n');
    const p = await runCli(['scan', '--no-cache', '-i', plain, log]);
    expect(p.stderr).toContain(`${plain}:3: skipped "not-valid"`);
  });
});

describe('stdin is read once', () => {
  it('--iocs - with logs on stdin is refused before anything is read', async () => {
    for (const args of [['scan', '-i', '-'], ['scan', '-i', '-', '-'], ['scan', '-i', feed, '--allow', '-']]) {
      const r = await runCli(args, { stdin: '10.1.2.3\n' });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^iochunt: error: stdin can be read only once, but .* would both read it/);
      expect(r.stdout).toBe('');
    }
  });

  it('--iocs - with log files is fine', async () => {
    const r = await runCli(['scan', '--no-cache', '-i', '-', log], { stdin: '10.1.2.3\n' });
    expect(r.code).toBe(0);
    expect(r.docs).toHaveLength(1);
  });
});
