/**
 * Delivery to Elasticsearch when the cluster misbehaves, on real nodes that
 * this file starts itself: write rejections (429) from a node with a tiny
 * write thread pool, retried to success; a node killed in the middle of a run
 * and started again, with no hit lost and none duplicated; and a cluster that
 * is not there yet at start (`--es-wait`).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { LineGenerator, makeIndicators, Rng, feedText } from '../bench/corpus.js';
import { CLI, ROOT } from './helpers/cli.js';
import { allDocs, countDocs, es } from './helpers/es-test.js';
import { canRunElasticsearch, removeNode, startNode, stopNode, type EsNode } from './helpers/es-node.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir('iochunt-es-faults-');
const enabled = process.env.IOCHUNT_REQUIRE_ES === '1' || canRunElasticsearch();
const NO_AUTH = { IOCHUNT_ES_API_KEY: '', IOCHUNT_ES_BEARER_TOKEN: '', IOCHUNT_ES_USERNAME: '', IOCHUNT_ES_PASSWORD: '' };

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

interface Running {
  readonly child: ReturnType<typeof spawn>;
  readonly done: Promise<{ code: number | null; stderr: string }>;
  stderr(): string;
}

/** Starts `iochunt ARGS` in the background. */
function startCli(args: string[]): Running {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...NO_AUTH, IOCHUNT_CACHE_DIR: t.path('cache') }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr: err })));
  return { child, done, stderr: () => err };
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
    const { code, stderr } = await run.done;
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
      expect((await setup.done).code).toBe(0);
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
      const { code, stderr } = await run.done;
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
      const { code, stderr } = await run.done;
      expect(code).toBe(0);
      expect(summary(stderr).indexed).toBe(other.hitLines);
      expect(await countDocs(node, index2)).toBe(other.hitLines);
    }, 300_000);
  });
});
