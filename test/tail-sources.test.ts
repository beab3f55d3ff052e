/**
 * `tail --config` with a live source: tail pulls it when due, and a source
 * that gains an indicator produces its hits without a restart: retro for the
 * lines read before, live for the lines written after.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { appendFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SweepWorld } from './helpers/sweep-world.js';
import { outputDocs, waitFor } from './helpers/tail-run.js';
import { startCli } from './helpers/cli.js';

let world: SweepWorld | undefined;
let server: Server | undefined;
afterEach(async () => {
  world?.remove();
  world = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('tail with a live feed source', () => {
  it('pulls the source when due and reloads when it gains an indicator: retro for earlier lines, live after', async () => {
    const x = (world = new SweepWorld());
    let feed = '10.1.2.3\n';
    let version = 1;
    server = createServer((req, res) => {
      const etag = `"v${version}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', etag }).end(feed);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    writeFileSync(x.path('app.log'), 'early 10.1.2.3 one\nearly 10.9.9.9 two\n');
    const config = x.t.write(
      'tail.yaml',
      `state_dir: ${x.t.path('sources')}\nfeeds:\n  - name: local\n    type: url\n    url: http://127.0.0.1:${port}/feed.txt\n    interval: 1s\n    max_shrink: 1\ninputs:\n  - paths: [${x.logs}]\n`,
    );
    const run = startCli(['tail', '--config', config, '--no-cache', '--threads', '1', '--state', x.state, '-o', x.out, '--scan-interval', '250ms']);
    run.child.stdin.end();
    const originals = (): string[] => outputDocs(x.out).map((d) => `${d.iochunt?.match?.kind} ${d.event.original}`);
    try {
      await waitFor(() => `the first hit; stderr: ${run.stderr()}`, () => originals().includes('live early 10.1.2.3 one'));
      expect(originals()).toEqual(['live early 10.1.2.3 one']);
      // The source gains 10.9.9.9: pulled on its interval, the feed file replaced, the set reloaded.
      feed = '10.1.2.3\n10.9.9.9\n';
      version = 2;
      await waitFor(() => `the retro hit; stderr: ${run.stderr()}`, () => originals().includes('retro early 10.9.9.9 two'));
      appendFileSync(x.path('app.log'), 'later 10.9.9.9 three\n');
      await waitFor(() => `the live hit; stderr: ${run.stderr()}`, () => originals().includes('live later 10.9.9.9 three'));
      expect(originals().sort()).toEqual(['live early 10.1.2.3 one', 'live later 10.9.9.9 three', 'retro early 10.9.9.9 two']);
      expect(run.stderr()).toMatch(/feeds: local: 2 indicators/);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  }, 90_000);
});
