/**
 * Vitest global setup: makes a real Elasticsearch node available to the
 * integration tests. Uses the node of `npm run es:start` when it runs (CI
 * starts it), and otherwise starts one for the run and stops it at the end.
 * Without Java or Maven the Elasticsearch tests are skipped, unless
 * IOCHUNT_REQUIRE_ES=1 (CI), which makes that an error. IOCHUNT_TEST_ES=skip
 * skips them on purpose (a run of a few files that need no node).
 */
import type { TestProject } from 'vitest/node';
import { canRunElasticsearch, readSharedNode, removeNode, startNode, stopNode, type EsNode } from './es-node.js';

declare module 'vitest' {
  export interface ProvidedContext {
    esNode: EsNode | null;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.IOCHUNT_TEST_ES === 'skip') {
    project.provide('esNode', null);
    return undefined;
  }
  const shared = readSharedNode();
  if (shared) {
    project.provide('esNode', shared);
    return undefined;
  }
  if (!canRunElasticsearch()) {
    if (process.env.IOCHUNT_REQUIRE_ES === '1') throw new Error('IOCHUNT_REQUIRE_ES=1 but Java 17 or Maven is missing');
    process.stderr.write('es-global-setup: no Java or Maven; the Elasticsearch integration tests are skipped\n');
    project.provide('esNode', null);
    return undefined;
  }
  const node = await startNode({ name: `vitest-${process.pid}`, securityUser: 'iochunt_admin' });
  project.provide('esNode', node);
  return async () => {
    await stopNode(node);
    removeNode(node);
  };
}
