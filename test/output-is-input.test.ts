/**
 * The output is never also an input (as GNU grep's "input file is also the
 * output"): an output file is compared by device and inode with every input,
 * named or found by walking, and a file that is both is never truncated.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { CLI, parseJsonl, runCli, runShell } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';
import { es, esEnv, esNode } from './helpers/es-test.js';

const t = tmpDir();
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));
const feed = t.write('feed.txt', '10.1.2.3\n');
const LOG = 'a 10.1.2.3 b\nclean 110.1.2.3\n';

describe('output is also an input', () => {
  it('-o app.log app.log is refused before app.log is touched (exit 2)', async () => {
    const log = t.write('app.log', LOG);
    const r = await runCli(['scan', '--no-cache', '-i', feed, '-o', log, log]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/iochunt: error: input file ".*app\.log" is also the output \(-o .*app\.log\)/);
    expect(readFileSync(log, 'utf8')).toBe(LOG);
  });

  it('-o naming a feed or an allowlist is refused before the feed is touched', async () => {
    const f = t.write('feed-out.txt', '10.1.2.3\n');
    const allow = t.write('allow-out.txt', '10.9.9.9\n');
    const log = t.write('feed-out.log', LOG);
    for (const out of [f, allow]) {
      const r = await runCli(['scan', '--no-cache', '-i', f, '--allow', allow, '-o', out, log]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/is also the output/);
    }
    expect(readFileSync(f, 'utf8')).toBe('10.1.2.3\n');
    expect(readFileSync(allow, 'utf8')).toBe('10.9.9.9\n');
  });

  it('a hard link to the output is the same file; a copy is not', async () => {
    const log = t.write('linked.log', LOG);
    const link = t.path('link.jsonl');
    linkSync(log, link);
    const r = await runCli(['scan', '--no-cache', '-i', feed, '-o', link, log]);
    expect(r.code).toBe(2);
    expect(readFileSync(log, 'utf8')).toBe(LOG);

    const copy = t.path('copy.jsonl');
    copyFileSync(log, copy);
    const ok = await runCli(['scan', '--no-cache', '-i', feed, '-o', copy, log]);
    expect(ok.code).toBe(0);
    expect(parseJsonl(readFileSync(copy, 'utf8'))).toHaveLength(1);
  });

  it('-o inside a walked directory: the output is skipped, with a warning, on every run', async () => {
    const d = tmpDir();
    try {
      d.write('logs/app.log', LOG);
      const out = d.path('logs', 'hits.jsonl');
      for (let run = 0; run < 2; run++) {
        const r = await runCli(['scan', '--no-cache', '-i', feed, '-o', out, d.path('logs')]);
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/warning: .*hits\.jsonl: skipped: it is the output \(-o .*hits\.jsonl\)/);
        const docs = parseJsonl(readFileSync(out, 'utf8'));
        expect(docs).toHaveLength(1);
        expect(docs[0]?.log.file.path).toBe(d.path('logs', 'app.log'));
      }
    } finally {
      rmSync(d.dir, { recursive: true, force: true });
    }
  });

  it('stdout redirected into a walked directory is skipped, not read while it grows', () => {
    const d = tmpDir();
    try {
      d.write('logs/app.log', LOG);
      const out = d.path('logs', 'out.jsonl');
      writeFileSync(out, '');
      const r = runShell(`node ${CLI} scan --no-cache -i ${feed} ${d.path('logs')} >> ${out}`);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/out\.jsonl: skipped: it is the output \(stdout\)/);
      expect(parseJsonl(readFileSync(out, 'utf8'))).toHaveLength(1);
    } finally {
      rmSync(d.dir, { recursive: true, force: true });
    }
  });

  it('stdout that is a named input: that input is an error (exit 2), the others are scanned', () => {
    const log = t.write('named.log', LOG);
    const out = t.write('named-out.jsonl', 'kept line\n');
    const r = runShell(`node ${CLI} scan --no-cache -i ${feed} ${log} ${out} >> ${out}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/iochunt: error: .*named-out\.jsonl: input file is also the output \(stdout\)/);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('kept line\n')).toBe(true);
    expect(parseJsonl(text.slice('kept line\n'.length))).toHaveLength(1);
  });

  it('parse: stdout redirected into a walked directory is skipped; named, it is an error', () => {
    const d = tmpDir();
    try {
      d.write('logs/app.log', LOG);
      const out = d.write('logs/parsed.jsonl', '');
      const walked = runShell(`node ${CLI} parse ${d.path('logs')} >> ${out}`);
      expect(walked.stderr).toMatch(/parsed\.jsonl: skipped: it is the output \(stdout\)/);
      expect(parseJsonl(readFileSync(out, 'utf8'))).toHaveLength(2);
      const named = runShell(`node ${CLI} parse ${out} >> ${out}`);
      expect(named.status).toBe(2);
      expect(named.stderr).toMatch(/parsed\.jsonl: input file is also the output \(stdout\); not read/);
      expect(parseJsonl(readFileSync(out, 'utf8'))).toHaveLength(2);
    } finally {
      rmSync(d.dir, { recursive: true, force: true });
    }
  });

  it('stdin that is the output file is not read', () => {
    const out = t.write('stdin-out.jsonl', LOG);
    const r = runShell(`node ${CLI} scan --no-cache -i ${feed} < ${out} >> ${out}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/-: input file is also the output \(stdout\)/);
    expect(readFileSync(out, 'utf8')).toBe(LOG);
  });

  it('-o - writes to stdout', async () => {
    const log = t.write('dash.log', LOG);
    const r = await runCli(['scan', '--no-cache', '-i', feed, '-o', '-', log]);
    expect(r.code).toBe(0);
    expect(r.docs).toHaveLength(1);
  });
});

const node = esNode();
describe.skipIf(!node)('the Elasticsearch dead-letter file is an output too', () => {
  it('is skipped when a walked directory holds it', async () => {
    const n = node as NonNullable<typeof node>;
    const d = tmpDir();
    const index = `iochunt-output-is-input-${process.pid}`;
    try {
      d.write('logs/app.log', LOG);
      // A dead letter of an earlier run: its document holds the hit line.
      const dl = d.write('logs/dead.jsonl', `{"error":{"type":"x"},"document":{"event":{"original":"a 10.1.2.3 b"}}}\n`);
      const r = await runCli(['scan', '--no-cache', '-i', feed, '--es', n.url, '--es-index', index, '--es-dead-letter', dl, d.path('logs')], { env: esEnv(n) });
      expect(r.stderr).toMatch(/dead\.jsonl: skipped: it is the output \(the dead-letter file .*dead\.jsonl\)/);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/1 line\(s\) with hits/);
    } finally {
      await es(n, 'DELETE', `/${index}`);
      rmSync(d.dir, { recursive: true, force: true });
    }
  });
});
