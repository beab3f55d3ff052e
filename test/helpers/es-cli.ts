/**
 * `npm run es:start` / `npm run es:stop`: the test Elasticsearch node by hand.
 *
 * `start` fetches the distribution if needed, starts one node with security
 * on (a superuser with a random password, kept in the state file, mode 600)
 * and prints the node's URL as its last line; it reuses a node that is
 * already running. `stop` stops it and removes its data. The tests (their
 * global setup) use this node when it runs, and start their own otherwise.
 */
import { rmSync } from 'node:fs';
import { readSharedNode, removeNode, SHARED_STATE, startNode, stopNode, writeSharedNode } from './es-node.js';

const SHARED_USER = 'iochunt_admin';

async function main(command: string | undefined): Promise<void> {
  if (command === 'start') {
    let node = readSharedNode();
    if (node) {
      console.error(`es:start: node already running (pid ${node.pid}); state in ${SHARED_STATE}`);
    } else {
      const started = Date.now();
      node = await startNode({ name: 'shared', securityUser: SHARED_USER });
      writeSharedNode(node);
      console.error(`es:start: Elasticsearch started in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${node.pid}); user and password in ${SHARED_STATE}`);
    }
    console.log(node.url);
    return;
  }
  if (command === 'stop') {
    const node = readSharedNode();
    if (!node) {
      console.error('es:stop: no node running');
      return;
    }
    await stopNode(node);
    removeNode(node);
    rmSync(SHARED_STATE, { force: true });
    console.error(`es:stop: stopped pid ${node.pid}`);
    return;
  }
  console.error('usage: es-cli start|stop');
  process.exitCode = 2;
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(`es: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
