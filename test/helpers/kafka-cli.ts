/**
 * `npm run kafka:start` / `npm run kafka:stop`: the test Kafka broker by hand.
 *
 * `start` resolves the broker's jars with Maven if needed, starts one KRaft
 * broker on 127.0.0.1 and prints its bootstrap address as its last line; it
 * reuses a broker that is already running. `stop` stops it and removes its
 * data. The Kafka tests use this broker when it runs, and start their own
 * otherwise.
 */
import { rmSync } from 'node:fs';
import { readSharedKafka, removeKafka, SHARED_STATE, startKafka, stopKafka, writeSharedKafka } from './kafka-node.js';

async function main(command: string | undefined): Promise<void> {
  if (command === 'start') {
    let node = readSharedKafka();
    if (node) {
      console.error(`kafka:start: broker already running (pid ${node.pid}); state in ${SHARED_STATE}`);
    } else {
      const started = Date.now();
      node = await startKafka({ name: 'shared' });
      writeSharedKafka(node);
      console.error(`kafka:start: Kafka started in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${node.pid}); state in ${SHARED_STATE}`);
    }
    console.log(node.bootstrap);
    return;
  }
  if (command === 'stop') {
    const node = readSharedKafka();
    rmSync(SHARED_STATE, { force: true });
    if (!node) {
      console.error('kafka:stop: no broker running');
      return;
    }
    await stopKafka(node);
    removeKafka(node);
    console.error(`kafka:stop: stopped pid ${node.pid}`);
    return;
  }
  console.error('usage: kafka-cli start|stop');
  process.exitCode = 2;
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(`kafka: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
