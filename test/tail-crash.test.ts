/**
 * `iochunt tail --es` into the real node, unattended: SIGKILLed at random
 * moments while a writer appends and rotates, then started again: exactly
 * one document per hit line. Elasticsearch unreachable for a while (a proxy
 * in front of the node closed, then opened again): reading pauses and every
 * hit arrives once it is back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { renameSync, rmSync } from 'node:fs';
import { SweepWorld, lineNumber, sorted } from './helpers/sweep-world.js';
import { runCli } from './helpers/cli.js';
import { allDocs, countDocs, es, esEnv, esNode } from './helpers/es-test.js';
import { parseMetrics, startTail, waitFor } from './helpers/tail-run.js';

/** Appends lines every few milliseconds and rotates app.log by rename now and then, until stopped. */
function startWriter(x: SweepWorld): { stop(): Promise<void> } {
  let stopped = false;
  let rotations = 0;
  const done = (async () => {
    let i = 0;
    while (!stopped) {
      x.append('app.log', 15, 5);
      if (++i % 40 === 0) renameSync(x.path('app.log'), x.path(`app.log.${++rotations}`));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** A TCP proxy in front of the node that can be closed (connections cut, refused) and opened again on the same port. */
class Proxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}
  async open(): Promise<void> {
    const server = createServer((client) => {
      const up = connect(this.target.port, this.target.host);
      this.sockets.add(client).add(up);
      const drop = (): void => {
        client.destroy();
        up.destroy();
        this.sockets.delete(client);
        this.sockets.delete(up);
      };
      client.on('error', drop).on('close', drop);
      up.on('error', drop).on('close', drop);
      client.pipe(up).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }
  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** Documents in `index` (0 before it exists); remembered in `seen.count` for messages. */
async function count(n: NonNullable<ReturnType<typeof esNode>>, index: string, seen: { count: number }): Promise<number> {
  try {
    seen.count = await countDocs(n, index);
  } catch {
    seen.count = 0;
  }
  return seen.count;
}

const node = esNode();
describe.skipIf(!node)('iochunt tail --es (real node)', () => {
  const n = node as NonNullable<typeof node>;
  const indices: string[] = [];
  afterAll(async () => {
    for (const index of indices) {
      await es(n, 'DELETE', `/_data_stream/${index}`);
      await es(n, 'DELETE', `/${index}`);
      await es(n, 'DELETE', `/_index_template/iochunt-hits-${index}`);
    }
  });
  async function setup(name: string): Promise<string> {
    const index = `logs-iochunt.${name}-${process.pid}`;
    indices.push(index);
    const r = await runCli(['es', 'setup', '--es', n.url, '--es-index', index], { env: esEnv(n) });
    expect(r.code, r.stderr).toBe(0);
    return index;
  }

  it('10 SIGKILLs at random moments with a writer appending and rotating, then a clean run: exactly one document per hit line', async () => {
    const x = new SweepWorld();
    const index = await setup('tailkill');
    const env = esEnv(n);
    const args = ['--es', n.url, '--es-index', index, '--es-dead-letter', x.t.path('dead.jsonl'), '--wait', '30', '--close-renamed-after', '1s'];
    x.append('app.log', 300, 5);
    const writer = startWriter(x);
    let killed = 0;
    try {
      for (let i = 0; i < 10; i++) {
        // The folder is followed (app.log and its rotated names): a file rotated away while no tail ran is read too.
        const run = startTail(x, args, [x.logs], env);
        await new Promise((r) => setTimeout(r, 500 + Math.floor(Math.random() * 1500)));
        run.child.kill('SIGKILL');
        if ((await run.exited) === null) killed++;
      }
    } finally {
      await writer.stop();
    }
    const last = startTail(x, args, [x.logs], env);
    const seen = { count: 0 };
    await waitFor(
      () => `${x.expected.size} documents (have ${seen.count}); ${last.stderr()}`,
      async () => (await count(n, index, seen)) >= x.expected.size,
      120_000,
    );
    expect(await last.stop()).toBe(0);
    const docs = await allDocs(n, index);
    const lines = docs.map((d) => lineNumber(d._source));
    expect(lines.length).toBe(x.expected.size);
    expect(sorted(lines)).toEqual(sorted(x.expected));
    expect(killed).toBe(10);
    x.remove();
  }, 300_000);

  it('Elasticsearch unreachable for seconds: tail keeps running, then every hit arrives once; /metrics agrees with the index', async () => {
    const x = new SweepWorld();
    const index = await setup('taildown');
    const url = new URL(n.url);
    const proxy = new Proxy({ host: url.hostname, port: Number(url.port) });
    await proxy.open();
    const run = startTail(
      x,
      ['--es', `http://127.0.0.1:${proxy.port}`, '--es-index', index, '--es-dead-letter', x.t.path('dead.jsonl'), '--es-request-timeout', '5', '--metrics-listen', '127.0.0.1:0'],
      [x.logs],
      esEnv(n),
    );
    try {
      const metrics = await run.metricsUrl();
      const seen = { count: 0 };
      x.append('app.log', 200, 4);
      await waitFor('the first documents', async () => (await count(n, index, seen)) === x.expected.size, 60_000);
      await proxy.close();
      for (let i = 0; i < 10; i++) {
        x.append('app.log', 100, 4);
        await new Promise((r) => setTimeout(r, 400));
      }
      expect(run.child.exitCode).toBeNull();
      await proxy.open();
      await waitFor(
        () => `${x.expected.size} documents after the outage (have ${seen.count}); ${run.stderr()}`,
        async () => (await count(n, index, seen)) >= x.expected.size,
        120_000,
      );
      await waitFor('the metrics to catch up', async () => {
        const m = parseMetrics(await (await fetch(metrics)).text());
        return m.get('iochunt_es_indexed_total') === x.expected.size;
      });
      const m = parseMetrics(await (await fetch(metrics)).text());
      expect(m.get('iochunt_hit_lines_total{kind="live"}')).toBe(x.expected.size);
      expect(m.get('iochunt_es_dead_lettered_total')).toBe(0);
      expect(m.get('iochunt_es_retried_total')).toBeGreaterThan(0);
      expect(await run.stop()).toBe(0);
      const docs = await allDocs(n, index);
      expect(sorted(docs.map((d) => lineNumber(d._source)))).toEqual(sorted(x.expected));
    } finally {
      await proxy.close();
      rmSync(x.t.dir, { recursive: true, force: true });
    }
  }, 300_000);
});
