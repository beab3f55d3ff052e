/**
 * Helpers of the Elasticsearch integration tests: the node the global setup
 * provides, credentials for the CLI, and plain HTTP requests to the node.
 */
import { inject } from 'vitest';
import { basicAuth, type EsNode } from './es-node.js';

/** The node of this test run, or null when Elasticsearch cannot run here. */
export function esNode(): EsNode | null {
  return inject('esNode');
}

/** Environment for `runCli`: the node's credentials, and no other IOCHUNT_ES_* from the caller. */
export function esEnv(node: Pick<EsNode, 'username' | 'password'>): NodeJS.ProcessEnv {
  return {
    IOCHUNT_ES_API_KEY: '',
    IOCHUNT_ES_BEARER_TOKEN: '',
    IOCHUNT_ES_USERNAME: node.username ?? '',
    IOCHUNT_ES_PASSWORD: node.password ?? '',
  };
}

/** Environment without any Elasticsearch credentials (an open cluster, or a stand-in). */
export const NO_ES_AUTH: NodeJS.ProcessEnv = esEnv({});

/** A request to the node as its superuser; resolves to the status and parsed body. */
export async function es(
  node: Pick<EsNode, 'url' | 'username' | 'password'>,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const auth = basicAuth(node);
  const res = await fetch(`${node.url}${path}`, {
    method,
    headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

/** Number of documents in `index` after a refresh. */
export async function countDocs(node: Pick<EsNode, 'url' | 'username' | 'password'>, index: string): Promise<number> {
  await es(node, 'POST', `/${index}/_refresh`);
  const r = await es(node, 'GET', `/${index}/_count`);
  if (r.status !== 200) throw new Error(`count of ${index}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.count as number;
}

/** Every document of `index`, in path and offset order, as `{_id, _source}` (log, event.original, indicator names). */
export async function allDocs(node: Pick<EsNode, 'url' | 'username' | 'password'>, index: string): Promise<Array<{ _id: string; _source: any }>> {
  await es(node, 'POST', `/${index}/_refresh`);
  const out: Array<{ _id: string; _source: any }> = [];
  let after: unknown[] | undefined;
  for (;;) {
    const r = await es(node, 'POST', `/${index}/_search`, {
      size: 5000,
      // Path and offset name one hit line: a total order for search_after.
      sort: [{ 'log.file.path': 'asc' }, { 'log.offset': 'asc' }],
      _source: ['log', 'event.original', 'threat.enrichments.indicator.name'],
      ...(after ? { search_after: after } : {}),
    });
    if (r.status !== 200) throw new Error(`search ${index}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
    const hits = r.body.hits.hits as Array<{ _id: string; _source: any; sort: unknown[] }>;
    if (hits.length === 0) break;
    for (const h of hits) out.push({ _id: h._id, _source: h._source });
    after = hits[hits.length - 1]?.sort;
  }
  return out;
}
