/**
 * The delivery logic of the Elasticsearch bulk sink (src/output/es/es-sink.ts):
 * batching, retries of whole requests and of single items, dead letters,
 * duplicates, 401, 413 and backpressure. The sink talks through the real
 * `@elastic/elasticsearch` client (createEsClient) to a fake cluster on
 * 127.0.0.1 that answers `POST /<index>/_bulk` as Elasticsearch does; the
 * sink's sleep hook returns at once, so retries do not wait.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@elastic/elasticsearch';
import type { Reporter } from '../src/report.js';
import { DeadLetterFile } from '../src/output/es/dead-letter.js';
import { createEsClient, ElasticsearchError } from '../src/output/es/es-client.js';
import { DEFAULT_LIMITS, type EsAuth, type EsConfig, type EsDeliveryLimits } from '../src/output/es/es-config.js';
import { backoffDelay, ElasticsearchSink } from '../src/output/es/es-sink.js';
import { hitId } from '../src/output/es/hit-id.js';
import type { HitDocument } from '../src/output/hit-document.js';
import { dataStreamOf, inDataStream } from '../src/output/es/data-stream.js';
import { tmpDir } from './helpers/tmp.js';

const INDEX = 'logs-iochunt.hits-test';
/** A document as the sink writes it to INDEX (a data stream name). */
const sent = (d: HitDocument) => inDataStream(d, dataStreamOf(INDEX)!);
const t = tmpDir('iochunt-es-retry-');

/** One `_bulk` request as the fake cluster received it. */
interface BulkRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** `_id` of each `create` action, in order. */
  readonly ids: string[];
  /** The source line after each action, parsed. */
  readonly docs: unknown[];
}

/** What the fake answers: a JSON reply, or a connection closed without an answer. */
type Reply = { status: number; body: unknown; headers?: Record<string, string> } | 'drop';

/** An item's answer when it is not created: status and error. */
interface ItemFailure {
  status: number;
  error?: { type: string; reason: string; caused_by?: { type: string; reason: string } };
}

/**
 * A fake Elasticsearch node. By default it creates every document of a bulk
 * request and answers 409 for an `_id` it already holds; `handler` replaces
 * that for a test (it is given the request and its 1-based number).
 */
class FakeEs {
  readonly bulkRequests: BulkRequest[] = [];
  readonly otherRequests: string[] = [];
  /** Documents created, by `_id`. */
  readonly stored = new Map<string, unknown>();
  handler: (req: BulkRequest, call: number) => Reply | Promise<Reply> = (req) => this.bulkReply(req);
  private readonly server: Server;
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  url = '';

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Resolves once `count` bulk requests have arrived. */
  waitForRequests(count: number): Promise<void> {
    if (this.bulkRequests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /**
   * The normal bulk answer: each item is created (201), already there (409),
   * or gets what `fail` says for its `_id` and position.
   */
  bulkReply(req: BulkRequest, fail: (id: string, i: number) => ItemFailure | undefined = () => undefined): Reply {
    const index = decodeURIComponent(req.path.split('/')[1] ?? '');
    const items = req.ids.map((id, i) => {
      const f = fail(id, i);
      if (f) return { create: { _index: index, _id: id, status: f.status, ...(f.error ? { error: f.error } : {}) } };
      if (this.stored.has(id)) {
        return {
          create: {
            _index: index,
            _id: id,
            status: 409,
            error: { type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, document already exists (current version [1])` },
          },
        };
      }
      this.stored.set(id, req.docs[i]);
      return { create: { _index: index, _id: id, _version: 1, result: 'created', status: 201 } };
    });
    return { status: 200, body: { took: 1, errors: items.some((it) => it.create.status >= 300), items } };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method !== 'POST' || !path.endsWith('/_bulk')) {
      this.otherRequests.push(`${req.method} ${req.url}`);
      this.send(res, { status: 200, body: {} });
      return;
    }
    const lines = body.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const ids: string[] = [];
    const docs: unknown[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const action = JSON.parse(lines[i] ?? '') as { create: { _id: string } };
      ids.push(action.create._id);
      docs.push(JSON.parse(lines[i + 1] ?? ''));
    }
    const bulk: BulkRequest = { method: req.method, path, headers: req.headers, body, ids, docs };
    this.bulkRequests.push(bulk);
    const call = this.bulkRequests.length;
    this.waiters = this.waiters.filter((w) => {
      if (call < w.count) return true;
      w.resolve();
      return false;
    });
    const reply = await this.handler(bulk, call);
    if (reply === 'drop') {
      req.socket.destroy();
      return;
    }
    this.send(res, reply);
  }

  private send(res: ServerResponse, reply: Exclude<Reply, 'drop'>): void {
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'x-elastic-product': 'Elasticsearch',
      'content-length': String(Buffer.byteLength(text)),
      ...reply.headers,
    });
    res.end(text);
  }
}

/** An Elasticsearch error reply of the whole request. */
function errorReply(status: number, type: string, reason: string, headers?: Record<string, string>): Reply {
  return { status, body: { error: { type, reason, root_cause: [{ type, reason }] }, status }, ...(headers ? { headers } : {}) };
}

/** `n` distinct hit documents, all of the same size when n ≤ 10. */
function makeDocs(n: number, tag = 'a'): HitDocument[] {
  return Array.from({ length: n }, (_, i) => {
    const ip = `10.0.${tag === 'a' ? 0 : 1}.${i}`;
    return {
      '@timestamp': '2025-03-04T05:06:07.000Z',
      event: { kind: 'alert' as const, original: `GET /x from ${ip} [${tag}${i}]` },
      log: { file: { path: `/var/log/${tag}.log`, inode: '9876' }, offset: 1000 + i * 100 },
      threat: {
        enrichments: [
          {
            indicator: { name: ip, type: 'ipv4-addr', ip },
            matched: { atomic: ip, field: 'message', id: `id-${ip}`, index: 'logs-ti_iochunt.indicators-default', type: 'indicator_match_rule' as const },
            feed: { name: 'feed.txt' },
            iochunt: { feed: { path: 'feed.txt' } },
          },
        ],
      },
    };
  });
}

/** The dead-letter file's lines, parsed. */
function deadLetters(path: string): Array<{ '@timestamp': string; index: string; _id: string; error: { status?: number; type: string; reason: string }; document: unknown }> {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

/** Lets pending I/O and promise callbacks run, a number of event-loop turns. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

const PASSWORD = 'Sup3r-Secret-Pw';
const BASIC: EsAuth = { kind: 'basic', username: 'elastic', password: PASSWORD };
const BASIC_B64 = Buffer.from(`elastic:${PASSWORD}`).toString('base64');

let fake: FakeEs;
let clients: Client[] = [];
let sinks: ElasticsearchSink[] = [];
let dlCount = 0;

beforeEach(async () => {
  fake = new FakeEs();
  await fake.start();
});

afterEach(async () => {
  // Sinks left open by a failing test: close them, ignoring their errors.
  await Promise.all(sinks.map((s) => s.close().catch(() => undefined)));
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
  sinks = [];
  await fake.stop();
});

interface Setup {
  sink: ElasticsearchSink;
  config: EsConfig;
  deadLetterPath: string;
  sleeps: number[];
  warnings: string[];
}

/** A sink on the fake cluster; no flush timer fires during a test (flushMs one hour). */
function setup(limits: Partial<EsDeliveryLimits> = {}, auth: EsAuth = { kind: 'none' }, secrets: string[] = []): Setup {
  const config: EsConfig = {
    nodes: [fake.url],
    index: INDEX,
    auth,
    insecure: false,
    waitMs: 0,
    limits: { ...DEFAULT_LIMITS, flushMs: 3_600_000, ...limits },
    secrets,
  };
  const client = createEsClient(config);
  clients.push(client);
  const deadLetterPath = t.path(`dead-letter-${++dlCount}.jsonl`);
  const warnings: string[] = [];
  const reporter: Reporter = {
    error: (m) => warnings.push(m),
    warn: (m) => warnings.push(m),
    info: () => undefined,
  };
  const sleeps: number[] = [];
  const sink = new ElasticsearchSink(client, config, new DeadLetterFile(deadLetterPath), reporter, {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  });
  sinks.push(sink);
  return { sink, config, deadLetterPath, sleeps, warnings };
}

const ids = (docs: readonly HitDocument[]): string[] => docs.map((d) => hitId(d));

describe('ElasticsearchSink: batches', () => {
  it('creates every document with one request when under the batch limits', async () => {
    const s = setup();
    const docs = makeDocs(10);
    await s.sink.write(docs);
    expect(fake.bulkRequests).toHaveLength(0); // still gathering: no limit reached, no timer fired
    await s.sink.close();
    expect(s.sink.stats).toEqual({ indexed: 10, duplicates: 0, retried: 0, deadLettered: 0, requests: 1, lost: 0 });
    expect(fake.bulkRequests).toHaveLength(1);
    const req = fake.bulkRequests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/${INDEX}/_bulk`);
    expect(req.ids).toEqual(ids(docs));
    // As written to the data stream: data_stream.* of the target added.
    expect(req.docs).toEqual(docs.map(sent));
    expect((req.docs[0] as Record<string, unknown>).data_stream).toEqual({ type: 'logs', dataset: 'iochunt.hits', namespace: 'test' });
    expect(req.body.endsWith('\n')).toBe(true);
    expect(fake.stored.size).toBe(10);
    expect(existsSync(s.deadLetterPath)).toBe(false);
    expect(s.sleeps).toEqual([]);
  });

  it('splits batches by --es-batch-docs', async () => {
    const s = setup({ batchDocs: 4, concurrency: 1 });
    const docs = makeDocs(10);
    await s.sink.write(docs.slice(0, 3));
    await s.sink.write(docs.slice(3));
    await s.sink.close();
    expect(fake.bulkRequests.map((r) => r.ids.length)).toEqual([4, 4, 2]);
    expect(fake.bulkRequests.flatMap((r) => r.ids)).toEqual(ids(docs));
    expect(s.sink.stats).toEqual({ indexed: 10, duplicates: 0, retried: 0, deadLettered: 0, requests: 3, lost: 0 });
  });

  it('splits batches by --es-batch-size, never above it', async () => {
    const docs = makeDocs(10);
    const itemBytes = (d: HitDocument) => `{"create":{"_id":"${hitId(d)}"}}\n${JSON.stringify(sent(d))}\n`.length;
    // All documents have the same size: room for three and a half.
    expect(new Set(docs.map(itemBytes)).size).toBe(1);
    const batchBytes = Math.floor(itemBytes(docs[0]!) * 3.5);
    const s = setup({ batchBytes, concurrency: 1 });
    await s.sink.write(docs);
    await s.sink.close();
    expect(fake.bulkRequests.map((r) => r.ids.length)).toEqual([3, 3, 3, 1]);
    for (const r of fake.bulkRequests) expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(batchBytes);
    expect(fake.bulkRequests.flatMap((r) => r.ids)).toEqual(ids(docs));
    expect(s.sink.stats).toEqual({ indexed: 10, duplicates: 0, retried: 0, deadLettered: 0, requests: 4, lost: 0 });
  });

  it('sends a document larger than --es-batch-size alone', async () => {
    const s = setup({ batchBytes: 10, concurrency: 1 });
    const docs = makeDocs(3);
    await s.sink.write(docs);
    await s.sink.close();
    expect(fake.bulkRequests.map((r) => r.ids)).toEqual(ids(docs).map((id) => [id]));
    expect(s.sink.stats).toEqual({ indexed: 3, duplicates: 0, retried: 0, deadLettered: 0, requests: 3, lost: 0 });
  });

  it('sends nothing for no documents', async () => {
    const s = setup();
    await s.sink.write([]);
    await s.sink.close();
    expect(fake.bulkRequests).toHaveLength(0);
    expect(s.sink.stats).toEqual({ indexed: 0, duplicates: 0, retried: 0, deadLettered: 0, requests: 0, lost: 0 });
  });
});

describe('ElasticsearchSink: retries of whole requests', () => {
  it.each([
    [429, 'es_rejected_execution_exception'],
    [503, 'unavailable_shards_exception'],
    [502, 'bad_gateway'],
  ])('retries a request answered %i, then indexes it', async (status, type) => {
    const s = setup();
    const docs = makeDocs(5);
    fake.handler = (req, call) => (call === 1 ? errorReply(status, type, 'try again later') : fake.bulkReply(req));
    await s.sink.write(docs);
    await s.sink.close();
    expect(s.sink.stats).toEqual({ indexed: 5, duplicates: 0, retried: 5, deadLettered: 0, requests: 2, lost: 0 });
    expect(fake.bulkRequests.map((r) => r.ids)).toEqual([ids(docs), ids(docs)]);
    // attempt 1: min backoff 200 ms, random 0.5 → 100 + 50.
    expect(s.sleeps).toEqual([150]);
    expect(existsSync(s.deadLetterPath)).toBe(false);
    expect(s.warnings.join('\n')).toMatch(new RegExp(`HTTP ${status} ${type}`));
  });

  it('backs off exponentially over several failed attempts', async () => {
    const s = setup();
    const docs = makeDocs(2);
    fake.handler = (req, call) => (call <= 3 ? errorReply(503, 'unavailable_shards_exception', 'no shards') : fake.bulkReply(req));
    await s.sink.write(docs);
    await s.sink.close();
    expect(s.sink.stats).toEqual({ indexed: 2, duplicates: 0, retried: 6, deadLettered: 0, requests: 4, lost: 0 });
    expect(s.sleeps).toEqual([150, 300, 600]);
  });

  it('does not grow the backoff while part of each request gets through', async () => {
    const s = setup();
    const docs = makeDocs(4);
    const reject = (req: BulkRequest): Reply => {
      // The first item of each request is created, the rest rejected: progress every time.
      const first = req.ids[0];
      return fake.bulkReply(req, (id) => (id === first ? undefined : { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } }));
    };
    fake.handler = (req, call) => (call === 1 ? errorReply(503, 'unavailable_shards_exception', 'no shards') : reject(req));
    await s.sink.write(docs);
    await s.sink.close();
    expect(s.sink.stats).toMatchObject({ indexed: 4, deadLettered: 0, requests: 5 });
    // 503 (nothing through): attempt 1; then partial progress keeps it at 1.
    expect(s.sleeps).toEqual([150, 150, 150, 150]);
  });

  it('retries after the connection is dropped without an answer', async () => {
    const s = setup();
    const docs = makeDocs(4);
    fake.handler = (req, call) => (call === 1 ? 'drop' : fake.bulkReply(req));
    await s.sink.write(docs);
    await s.sink.close();
    expect(s.sink.stats).toEqual({ indexed: 4, duplicates: 0, retried: 4, deadLettered: 0, requests: 2, lost: 0 });
    expect(fake.bulkRequests.map((r) => r.ids)).toEqual([ids(docs), ids(docs)]);
    expect(fake.stored.size).toBe(4);
    expect(existsSync(s.deadLetterPath)).toBe(false);
  });

  it('makes no second copy when the lost answer was for documents already created', async () => {
    const s = setup();
    const docs = makeDocs(4);
    fake.handler = (req, call) => {
      const reply = fake.bulkReply(req); // created, then the answer is lost
      return call === 1 ? 'drop' : reply;
    };
    await s.sink.write(docs);
    await s.sink.close();
    expect(s.sink.stats).toEqual({ indexed: 0, duplicates: 4, retried: 4, deadLettered: 0, requests: 2, lost: 0 });
    expect(fake.stored.size).toBe(4);
    expect(existsSync(s.deadLetterPath)).toBe(false);
  });

  it('sends again the items a 200 reply lacks', async () => {
    const s = setup();
    const docs = makeDocs(3);
    fake.handler = (req, call) => {
      // The first reply has items for the first two documents only.
      return fake.bulkReply(call === 1 ? { ...req, ids: req.ids.slice(0, 2) } : req);
    };
    await s.sink.write(docs);
    await s.sink.close();
    expect(fake.bulkRequests[1]?.ids).toEqual([hitId(docs[2]!)]);
    expect(s.sink.stats).toEqual({ indexed: 3, duplicates: 0, retried: 1, deadLettered: 0, requests: 2, lost: 0 });
  });
});

describe('ElasticsearchSink: item results', () => {
  it('sends again only the items answered 429 or 503, and dead-letters the one refused with 400', async () => {
    const s = setup();
    const docs = makeDocs(5);
    const [, id1, id2, , id4] = ids(docs);
    fake.handler = (req, call) =>
      fake.bulkReply(req, (_id, i) => {
        if (call !== 1) return undefined;
        if (i === 1) return { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' } };
        if (i === 2) return { status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' } };
        if (i === 4) {
          return {
            status: 400,
            error: {
              type: 'mapper_parsing_exception',
              reason: 'failed to parse field [source.ip] of type [ip]',
              caused_by: { type: 'illegal_argument_exception', reason: "'999.1.1.1' is not an IP string literal." },
            },
          };
        }
        return undefined;
      });
    await s.sink.write(docs);
    await s.sink.close();
    expect(fake.bulkRequests).toHaveLength(2);
    expect(fake.bulkRequests[0]?.ids).toEqual(ids(docs));
    expect(fake.bulkRequests[1]?.ids).toEqual([id1, id2]);
    expect(s.sink.stats).toEqual({ indexed: 4, duplicates: 0, retried: 2, deadLettered: 1, requests: 2, lost: 0 });
    expect(s.sink.stats.indexed + s.sink.stats.deadLettered).toBe(docs.length);
    expect(s.sleeps).toEqual([150]);
    const dead = deadLetters(s.deadLetterPath);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      index: INDEX,
      _id: id4,
      error: {
        status: 400,
        type: 'mapper_parsing_exception',
        reason: "failed to parse field [source.ip] of type [ip]: '999.1.1.1' is not an IP string literal.",
      },
      document: docs[4],
    });
    expect(Date.parse(dead[0]!['@timestamp'])).not.toBeNaN();
    expect(s.warnings.join('\n')).toMatch(/refused 1 hit\(s\) \(400 mapper_parsing_exception/);
    expect([...fake.stored.keys()].sort()).toEqual(ids(docs).filter((id) => id !== id4).sort());
  });

  it('counts 409 on create as a duplicate, not a dead letter', async () => {
    const docs = makeDocs(4);
    fake.stored.set(hitId(docs[0]!), {});
    fake.stored.set(hitId(docs[2]!), {});
    const s = setup();
    await s.sink.write(docs);
    await s.sink.close();
    expect(s.sink.stats).toEqual({ indexed: 2, duplicates: 2, retried: 0, deadLettered: 0, requests: 1, lost: 0 });
    expect(existsSync(s.deadLetterPath)).toBe(false);

    // A second run over the same hits: only duplicates.
    const again = setup();
    await again.sink.write(makeDocs(4));
    await again.sink.close();
    expect(again.sink.stats).toEqual({ indexed: 0, duplicates: 4, retried: 0, deadLettered: 0, requests: 1, lost: 0 });
    expect(existsSync(again.deadLetterPath)).toBe(false);
  });

  it('dead-letters with retry_timeout when the retry time is over (whole request 503)', async () => {
    const s = setup({ retryForMs: 0 });
    const docs = makeDocs(3);
    fake.handler = () => errorReply(503, 'cluster_block_exception', 'blocked by: [SERVICE_UNAVAILABLE/2/no master]');
    await s.sink.write(docs);
    await s.sink.close();
    expect(s.sink.stats).toEqual({ indexed: 0, duplicates: 0, retried: 0, deadLettered: 3, requests: 1, lost: 0 });
    const dead = deadLetters(s.deadLetterPath);
    expect(dead.map((d) => d._id)).toEqual(ids(docs));
    expect(dead.map((d) => d.document)).toEqual(docs.map(sent));
    for (const d of dead) {
      expect(d.error.type).toBe('retry_timeout');
      expect(d.error.reason).toMatch(/last error: HTTP 503 cluster_block_exception/);
    }
  });

  it('dead-letters with retry_timeout only the items still failing (item 503)', async () => {
    const s = setup({ retryForMs: 0 });
    const docs = makeDocs(4);
    fake.handler = (req) => fake.bulkReply(req, (_id, i) => (i % 2 === 1 ? { status: 503, error: { type: 'unavailable_shards_exception', reason: 'no primary' } } : undefined));
    await s.sink.write(docs);
    await s.sink.close();
    expect(s.sink.stats).toEqual({ indexed: 2, duplicates: 0, retried: 0, deadLettered: 2, requests: 1, lost: 0 });
    const dead = deadLetters(s.deadLetterPath);
    expect(dead.map((d) => d._id)).toEqual([hitId(docs[1]!), hitId(docs[3]!)]);
    expect(dead.every((d) => d.error.type === 'retry_timeout')).toBe(true);
  });

  it('dead-letters a request refused with 400 as a whole, without retrying it', async () => {
    const s = setup();
    const docs = makeDocs(2);
    fake.handler = () => errorReply(400, 'illegal_argument_exception', 'pipeline with id [nope] does not exist');
    await s.sink.write(docs);
    await s.sink.close();
    expect(s.sink.stats).toEqual({ indexed: 0, duplicates: 0, retried: 0, deadLettered: 2, requests: 1, lost: 0 });
    const dead = deadLetters(s.deadLetterPath);
    expect(dead.map((d) => d.error)).toEqual([
      { status: 400, type: 'request_failed', reason: 'HTTP 400 illegal_argument_exception: pipeline with id [nope] does not exist' },
      { status: 400, type: 'request_failed', reason: 'HTTP 400 illegal_argument_exception: pipeline with id [nope] does not exist' },
    ]);
  });
});

describe('ElasticsearchSink: 401 stops delivery', () => {
  /** A 401 whose reason, unlike Elasticsearch's, echoes the credentials: they must never get out. */
  const refuse = (): Reply =>
    errorReply(401, 'security_exception', `unable to authenticate user [elastic] with [Basic ${BASIC_B64}] and password [${PASSWORD}] (${encodeURIComponent(PASSWORD)})`, {
      'www-authenticate': 'Basic realm="security" charset="UTF-8"',
    });

  it('rejects close() without the password, dead-letters what is pending, and refuses later writes', async () => {
    const s = setup({}, BASIC, [PASSWORD, BASIC_B64]);
    const docs = makeDocs(4);
    fake.handler = refuse;
    await s.sink.write(docs);
    const err = await s.sink.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ElasticsearchError);
    const e = err as ElasticsearchError;
    expect(e.code).toBe('E_ES_REFUSED');
    expect(e.statusCode).toBe(401);
    expect(e.message).toMatch(/^Elasticsearch refused to take hits into logs-iochunt\.hits-test: HTTP 401 security_exception/);
    expect(e.message).toContain('[redacted]');
    expect(e.message).not.toContain(PASSWORD);
    expect(e.message).not.toContain(BASIC_B64);
    expect(String(e.stack)).not.toContain(PASSWORD);

    expect(s.sink.stats).toEqual({ indexed: 0, duplicates: 0, retried: 0, deadLettered: 4, requests: 1, lost: 0 });
    const dead = deadLetters(s.deadLetterPath);
    expect(dead.map((d) => d._id)).toEqual(ids(docs));
    for (const d of dead) {
      expect(d.error.status).toBe(401);
      expect(d.error.type).toBe('refused');
      expect(d.error.reason).not.toContain(PASSWORD);
      expect(d.error.reason).not.toContain(BASIC_B64);
    }
    expect(readFileSync(s.deadLetterPath, 'utf8')).not.toContain(PASSWORD);
    expect(s.warnings.join('\n')).not.toContain(PASSWORD);

    await expect(s.sink.write(makeDocs(1, 'b'))).rejects.toBe(e);
    expect(fake.bulkRequests).toHaveLength(1);
    expect(fake.bulkRequests[0]?.headers.authorization).toBe(`Basic ${BASIC_B64}`);
  });

  it('dead-letters the batches waiting for a slot and every later hit as aborted, and each write throws', async () => {
    const s = setup({ batchDocs: 2, concurrency: 1 }, BASIC, [PASSWORD, BASIC_B64]);
    const docs = makeDocs(6);
    fake.handler = refuse;
    await s.sink.write(docs.slice(0, 2)); // sent
    // Waits for the slot, then finds delivery stopped.
    await expect(s.sink.write(docs.slice(2, 4))).rejects.toBeInstanceOf(ElasticsearchError);
    await expect(s.sink.write(docs.slice(4))).rejects.toBeInstanceOf(ElasticsearchError);
    await expect(s.sink.close()).rejects.toBeInstanceOf(ElasticsearchError);
    expect(fake.bulkRequests).toHaveLength(1);
    // Nothing handed to the sink is dropped: hits written after the refusal go to the dead-letter file too.
    expect(s.sink.stats).toEqual({ indexed: 0, duplicates: 0, retried: 0, deadLettered: 6, requests: 1, lost: 0 });
    const dead = deadLetters(s.deadLetterPath);
    expect(dead.map((d) => [d._id, d.error.type])).toEqual([
      [hitId(docs[0]!), 'refused'],
      [hitId(docs[1]!), 'refused'],
      [hitId(docs[2]!), 'aborted'],
      [hitId(docs[3]!), 'aborted'],
      [hitId(docs[4]!), 'aborted'],
      [hitId(docs[5]!), 'aborted'],
    ]);
    expect(readFileSync(s.deadLetterPath, 'utf8')).not.toContain(PASSWORD);
    expect(readFileSync(s.deadLetterPath, 'utf8')).not.toContain(BASIC_B64);
  });

  it('treats 403 like 401', async () => {
    const s = setup();
    fake.handler = () => errorReply(403, 'security_exception', 'action [indices:data/write/bulk[s]] is unauthorized for user [reader]');
    await s.sink.write(makeDocs(2));
    await expect(s.sink.close()).rejects.toMatchObject({ code: 'E_ES_REFUSED', statusCode: 403 });
    expect(s.sink.stats).toEqual({ indexed: 0, duplicates: 0, retried: 0, deadLettered: 2, requests: 1, lost: 0 });
  });
});

describe('ElasticsearchSink: 413 request too large', () => {
  it('splits the batch in halves until each part is taken', async () => {
    const s = setup({ concurrency: 1 });
    const docs = makeDocs(5);
    fake.handler = (req) => (req.ids.length > 2 ? errorReply(413, 'content_too_long_exception', 'request body is too large') : fake.bulkReply(req));
    await s.sink.write(docs);
    await s.sink.close();
    // 5 → 413; 3 → 413; 2 ok; 1 ok; 2 ok.
    expect(fake.bulkRequests.map((r) => r.ids.length)).toEqual([5, 3, 2, 1, 2]);
    const taken = fake.bulkRequests.filter((r) => r.ids.length <= 2).flatMap((r) => r.ids);
    expect(taken).toEqual(ids(docs));
    expect(s.sink.stats).toEqual({ indexed: 5, duplicates: 0, retried: 0, deadLettered: 0, requests: 5, lost: 0 });
    expect(existsSync(s.deadLetterPath)).toBe(false);
  });

  it('dead-letters a single document that is still too large', async () => {
    const s = setup();
    const docs = makeDocs(1);
    fake.handler = () => errorReply(413, 'content_too_long_exception', 'request body is too large');
    await s.sink.write(docs);
    await s.sink.close();
    expect(s.sink.stats).toEqual({ indexed: 0, duplicates: 0, retried: 0, deadLettered: 1, requests: 1, lost: 0 });
    expect(deadLetters(s.deadLetterPath)[0]?.error).toMatchObject({ status: 413, type: 'request_failed' });
  });
});

describe('ElasticsearchSink: backpressure', () => {
  it('holds a write that needs a new batch while every request slot is busy', async () => {
    const s = setup({ batchDocs: 1, concurrency: 1 });
    const docs = makeDocs(2);
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fake.handler = async (req, call) => {
      if (call === 1) {
        await gate;
        events.push('first answered');
      }
      return fake.bulkReply(req);
    };
    await s.sink.write([docs[0]!]); // a slot is free: returns once the request is under way
    await fake.waitForRequests(1);
    const second = s.sink.write([docs[1]!]).then(() => events.push('second write resolved'));
    await turns(50);
    expect(events).toEqual([]);
    expect(fake.bulkRequests).toHaveLength(1);
    release();
    await second;
    expect(events).toEqual(['first answered', 'second write resolved']);
    await s.sink.close();
    expect(fake.bulkRequests.map((r) => r.ids)).toEqual([[hitId(docs[0]!)], [hitId(docs[1]!)]]);
    expect(s.sink.stats).toEqual({ indexed: 2, duplicates: 0, retried: 0, deadLettered: 0, requests: 2, lost: 0 });
  });

  it('does not hold writes while a slot is free (concurrency 2)', async () => {
    const s = setup({ batchDocs: 1, concurrency: 2 });
    const docs = makeDocs(2);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fake.handler = async (req) => {
      await gate;
      return fake.bulkReply(req);
    };
    await s.sink.write([docs[0]!]);
    await s.sink.write([docs[1]!]);
    await fake.waitForRequests(2);
    expect(fake.stored.size).toBe(0); // neither answered yet
    release();
    await s.sink.close();
    expect(s.sink.stats).toEqual({ indexed: 2, duplicates: 0, retried: 0, deadLettered: 0, requests: 2, lost: 0 });
  });
});

describe('ElasticsearchSink: credentials on the wire', () => {
  async function authorizationFor(auth: EsAuth): Promise<string | undefined> {
    const s = setup({}, auth);
    await s.sink.write(makeDocs(1));
    await s.sink.close();
    expect(s.sink.stats.indexed).toBe(1);
    return fake.bulkRequests.at(-1)?.headers.authorization;
  }

  it('sends an API key as "ApiKey …"', async () => {
    expect(await authorizationFor({ kind: 'apiKey', apiKey: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==' })).toBe(
      'ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==',
    );
  });

  it('sends an API key given as id:key base64-encoded, as Elasticsearch expects', async () => {
    expect(await authorizationFor({ kind: 'apiKey', apiKey: 'VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw' })).toBe(
      `ApiKey ${Buffer.from('VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw').toString('base64')}`,
    );
  });

  it('sends a bearer token as "Bearer …"', async () => {
    expect(await authorizationFor({ kind: 'bearer', token: 'dGhpcyBpcyBhIHRva2Vu' })).toBe('Bearer dGhpcyBpcyBhIHRva2Vu');
  });

  it('sends user and password as "Basic …"', async () => {
    expect(await authorizationFor(BASIC)).toBe(`Basic ${BASIC_B64}`);
  });

  it('sends no Authorization header without credentials', async () => {
    expect(await authorizationFor({ kind: 'none' })).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt from minMs until maxMs', () => {
    const max = (a: number) => backoffDelay(a, 200, 30_000, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(max)).toEqual([200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000]);
    const min = (a: number) => backoffDelay(a, 200, 30_000, () => 0);
    expect([1, 2, 3, 8, 9, 50].map(min)).toEqual([100, 200, 400, 12_800, 15_000, 15_000]);
    expect(backoffDelay(3, 200, 30_000, () => 0.5)).toBe(600);
  });

  it('stays within [cap/2, cap] for any random value', () => {
    for (let attempt = 0; attempt <= 40; attempt++) {
      const cap = Math.min(5000, 100 * 2 ** Math.max(0, attempt - 1));
      for (const r of [0, 0.001, 0.25, 0.5, 0.75, 0.999, 0.9999999]) {
        const d = backoffDelay(attempt, 100, 5000, () => r);
        expect(d).toBeGreaterThanOrEqual(cap / 2);
        expect(d).toBeLessThanOrEqual(cap);
      }
    }
  });

  it('treats attempt 0 as the first, and never exceeds maxMs however many attempts', () => {
    expect(backoffDelay(0, 200, 30_000, () => 1)).toBe(200);
    expect(backoffDelay(10_000, 200, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelay(10_000, 200, 30_000, () => 0)).toBe(15_000);
  });

  it('is never zero, so that no retry comes immediately', () => {
    for (let attempt = 1; attempt < 20; attempt++) expect(backoffDelay(attempt, 200, 30_000, () => 0)).toBeGreaterThan(0);
  });
});

describe('ElasticsearchSink: the flush timer', () => {
  it('holds writes while a batch the timer took out waits for a request slot', async () => {
    const s = setup({ batchDocs: 1000, concurrency: 1, flushMs: 20 });
    const docs = makeDocs(3);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fake.handler = async (req) => {
      await gate;
      return fake.bulkReply(req);
    };
    await s.sink.write([docs[0]!]);
    await fake.waitForRequests(1); // the timer sent it; the slot is busy now
    await s.sink.write([docs[1]!]);
    await new Promise((r) => setTimeout(r, 80)); // the timer takes the second batch out; it waits for the slot
    let third = false;
    const w = s.sink.write([docs[2]!]).then(() => (third = true));
    await new Promise((r) => setTimeout(r, 80));
    expect(third).toBe(false);
    expect(fake.bulkRequests).toHaveLength(1);
    release();
    await w;
    await s.sink.close();
    expect(s.sink.stats).toMatchObject({ indexed: 3, deadLettered: 0, lost: 0 });
  });
});

describe('ElasticsearchSink: interrupts', () => {
  it('hurry() ends retries of a cluster that keeps failing: the hits are dead-lettered as interrupted', async () => {
    const s = setup();
    // Backoff sleeps that never end on their own: only hurry() wakes them.
    (s.sink as unknown as { sleep: (ms: number) => Promise<void> }).sleep = () => new Promise(() => undefined);
    fake.handler = () => errorReply(503, 'unavailable_shards_exception', 'no shards');
    const docs = makeDocs(3);
    await s.sink.write(docs);
    const closed = s.sink.close();
    await fake.waitForRequests(1);
    await turns(20);
    s.sink.hurry(0);
    await closed;
    expect(s.sink.stats).toMatchObject({ indexed: 0, deadLettered: 3, lost: 0 });
    const dead = deadLetters(s.deadLetterPath);
    expect(dead.map((d) => d._id)).toEqual(ids(docs));
    for (const d of dead) expect(d.error).toMatchObject({ type: 'retry_timeout', reason: expect.stringMatching(/^interrupted; last error: HTTP 503/) });
  });

  it('abandon() writes every undelivered hit to the dead-letter file at once: open batch, waiting and in-flight batches', async () => {
    const s = setup({ batchDocs: 2, concurrency: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fake.handler = async (req) => {
      await gate; // answers only at the end of the test
      return fake.bulkReply(req);
    };
    const docs = makeDocs(5);
    await s.sink.write(docs.slice(0, 2)); // in flight
    await fake.waitForRequests(1);
    const blocked = s.sink.write(docs.slice(2, 4)).catch(() => undefined); // waits for the slot
    await turns(20);
    expect(s.sink.abandon('interrupted twice (SIGTERM) before delivery')).toBe(4);
    const dead = deadLetters(s.deadLetterPath);
    expect(dead.map((d) => d._id).sort()).toEqual(ids(docs.slice(0, 4)).sort());
    for (const d of dead) expect(d.error).toMatchObject({ type: 'aborted', reason: 'interrupted twice (SIGTERM) before delivery' });
    expect(s.sink.abandon('again')).toBe(0);
    release();
    await blocked;
  });
});
