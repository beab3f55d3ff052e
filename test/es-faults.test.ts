/**
 * Delivery to Elasticsearch when the cluster misbehaves, on real nodes that
 * this file starts itself: write rejections (429) from a node with a tiny
 * write thread pool, retried to success; a node killed in the middle of a run
 * and started again, with no hit lost and none duplicated; and a cluster that
 * is not there yet at start (`--es-wait`).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { LineGenerator, makeIndicators, Rng, feedText } from '../bench/corpus.js';
import { startCli as startBackground, type BackgroundCli } from './helpers/cli.js';
import { allDocs, countDocs, es, NO_ES_AUTH } from './helpers/es-test.js';
import { canRunElasticsearch, removeNode, startNode, stopNode, type EsNode } from './helpers/es-node.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir('iochunt-es-faults-');
const enabled = process.env.IOCHUNT_REQUIRE_ES === '1' || canRunElasticsearch();

/** An Apache log where about half the lines hit; returns its path and the number of hit lines. */
function corpus(name: string, lines: number, seed: number): { feed: string; log: string; hitLines: number } {
  const rng = new Rng(seed);
  const set = makeIndicators(rng, { ipv4: 200, cidr4: 20, ipv6: 40, cidr6: 5, domains: 200, urls: 50, hashes: 50, emails: 30 });
  const gen = new LineGenerator(rng, set, 'apache', { hitRate: 0.5, decoyRate: 0.1 });
  const out: string[] = [];
  let hitLines = 0;
  for (let i = 0; i < lines; i++) {
    const l = gen.next();
    out.push(l.text);
    if (l.hits.length > 0) hitLines++;
  }
  return { feed: t.write(`${name}/feed.txt`, feedText(set)), log: t.write(`${name}/access.log`, out.join('\n') + '\n'), hitLines };
}

/** `iochunt ARGS` in the background, without credentials (the fault nodes run without security). */
const startCli = (args: string[]): BackgroundCli => startBackground(args, { env: NO_ES_AUTH });

/** The exit code and stderr of a background run, once it has exited. */
async function finished(run: BackgroundCli): Promise<{ code: number | null; stderr: string }> {
  const code = await run.exited;
  return { code, stderr: run.stderr() };
}

/** The numbers of the end-of-run Elasticsearch summary. */
function summary(stderr: string): { indexed: number; duplicates: number; retried: number; deadLettered: number } {
  const m = /(\d+) indexed, (\d+) already there \(duplicates\), (\d+) retried, (\d+) dead-lettered/.exec(stderr);
  if (!m) throw new Error(`no Elasticsearch summary in:\n${stderr}`);
  return { indexed: Number(m[1]), duplicates: Number(m[2]), retried: Number(m[3]), deadLettered: Number(m[4]) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!enabled)('Elasticsearch faults (real nodes)', () => {
  const nodes: EsNode[] = [];
  afterAll(async () => {
    for (const n of nodes) {
      await stopNode(n, 'SIGKILL').catch(() => undefined);
      removeNode(n);
    }
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('retries write rejections (429) from a saturated node until every hit is indexed', async () => {
    // One write thread and a queue of one: a bulk request that touches six shards is mostly rejected.
    const node = await startNode({ name: `faults-429-${process.pid}`, settings: { 'thread_pool.write.size': 1, 'thread_pool.write.queue_size': 1 } });
    nodes.push(node);
    const index = 'iochunt-rejections';
    expect((await es(node, 'PUT', `/${index}`, { settings: { number_of_shards: 6, number_of_replicas: 0 } })).status).toBe(200);
    const c = corpus('rejections', 800, 7);
    const dead = t.path('rejections/dead.jsonl');
    const run = startCli(['scan', '--iocs', c.feed, c.log, '--es', node.url, '--es-index', index, '--es-concurrency', '4', '--es-batch-docs', '50', '--es-dead-letter', dead]);
    const { code, stderr } = await finished(run);
    const s = summary(stderr);
    expect(s.retried).toBeGreaterThan(0);
    expect(stderr).toMatch(/429|rejected/);
    expect(s.deadLettered).toBe(0);
    expect(code).toBe(0);
    expect(s.indexed + s.duplicates).toBe(c.hitLines);
    expect(await countDocs(node, index)).toBe(c.hitLines);
    expect(existsSync(dead)).toBe(false);
    await stopNode(node);
  }, 240_000);

  describe('a node that goes away', () => {
    let node: EsNode;
    const c = corpus('restart', 60_000, 11);
    const index = 'logs-iochunt.hits-restart';

    it('loses no hit and duplicates none when the node is killed mid-run and started again', async () => {
      node = await startNode({ name: `faults-restart-${process.pid}` });
      nodes.push(node);
      const setup = startCli(['es', 'setup', '--es', node.url, '--es-index', index]);
      expect((await setup.exited)).toBe(0);
      const dead = t.path('restart/dead.jsonl');
      const run = startCli([
        'scan', '--iocs', c.feed, c.log, '--es', node.url, '--es-index', index,
        '--es-batch-docs', '100', '--es-concurrency', '1', '--es-retry-for', '300', '--es-dead-letter', dead,
      ]);
      // Kill the node once part of the hits are in.
      let seen = 0;
      while (seen < 3000) {
        await sleep(200);
        seen = await countDocs(node, index).catch(() => 0);
        expect(run.child.exitCode).toBeNull();
      }
      expect(seen).toBeLessThan(c.hitLines);
      await stopNode(node, 'SIGKILL');
      await sleep(2000);
      expect(run.child.exitCode).toBeNull();
      node = await startNode({ name: node.name, port: node.port });
      nodes.push(node);
      const { code, stderr } = await finished(run);
      const s = summary(stderr);
      expect(stderr).toMatch(/retrying with backoff/);
      expect(s.retried).toBeGreaterThan(0);
      expect(s.deadLettered).toBe(0);
      expect(code).toBe(0);
      expect(s.indexed + s.duplicates).toBe(c.hitLines);
      const docs = await allDocs(node, index);
      expect(docs.length).toBe(c.hitLines);
      expect(new Set(docs.map((d) => d._source.log.offset)).size).toBe(c.hitLines);
      expect(existsSync(dead)).toBe(false);
    }, 300_000);

    it('waits for a node that is not up yet with --es-wait, then delivers', async () => {
      await stopNode(node);
      const other = corpus('wait', 2000, 13);
      const index2 = 'iochunt-wait';
      const run = startCli(['scan', '--iocs', other.feed, other.log, '--es', node.url, '--es-index', index2, '--es-wait', '180']);
      await sleep(1500);
      expect(run.child.exitCode).toBeNull();
      expect(run.stderr()).toMatch(/not reachable at .* yet .*waiting up to 180 s/);
      node = await startNode({ name: node.name, port: node.port });
      nodes.push(node);
      const { code, stderr } = await finished(run);
      expect(code).toBe(0);
      expect(summary(stderr).indexed).toBe(other.hitLines);
      expect(await countDocs(node, index2)).toBe(other.hitLines);
    }, 300_000);
  });
});
