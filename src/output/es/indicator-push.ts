/**
 * `iochunt es indicators push`: makes the indicator data stream hold exactly
 * the indicator documents of the feeds. Documents are written with `create`
 * under ids derived from what they say ({@link indicatorDocId}), so a push
 * of unchanged feeds writes nothing; documents whose id the feeds no longer
 * give (an indicator removed, or its feed entry changed) are deleted.
 */
import type { Client } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import type { IndicatorDocumentSet } from '../indicator-document.js';
import { describeEsError, ElasticsearchError } from './es-client.js';

/** What a push did. */
export interface PushResult {
  /** Documents written. */
  readonly created: number;
  /** Documents already there with the same id (nothing to do). */
  readonly unchanged: number;
  /** Documents deleted: no longer in the feeds. */
  readonly removed: number;
}

const PAGE = 5000;
const BULK_DOCS = 1000;

/** Every document id of `target` with the backing index it is in; empty when the target does not exist. */
async function existingIds(client: Client, target: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let pit: string;
  try {
    const r = (await client.transport.request({ method: 'POST', path: `/${encodeURIComponent(target)}/_pit`, querystring: { keep_alive: '2m' } })) as { id: string };
    pit = r.id;
  } catch (err) {
    if (err instanceof errors.ResponseError && err.statusCode === 404) return out;
    throw err;
  }
  try {
    let after: unknown[] | undefined;
    for (;;) {
      const r = (await client.transport.request({
        method: 'POST',
        path: '/_search',
        body: { size: PAGE, _source: false, pit: { id: pit, keep_alive: '2m' }, sort: [{ _shard_doc: 'asc' }], ...(after ? { search_after: after } : {}) },
      })) as { pit_id?: string; hits: { hits: Array<{ _id: string; _index: string; sort: unknown[] }> } };
      if (r.pit_id) pit = r.pit_id;
      const hits = r.hits.hits;
      for (const h of hits) out.set(h._id, h._index);
      if (hits.length < PAGE) break;
      after = hits[hits.length - 1]?.sort;
    }
  } finally {
    await client.transport.request({ method: 'DELETE', path: '/_pit', body: { id: pit } }).catch(() => undefined);
  }
  return out;
}

interface BulkItem {
  status: number;
  error?: { type?: string; reason?: string };
}

async function bulk(client: Client, target: string, lines: string[]): Promise<BulkItem[]> {
  const r = (await client.transport.request({
    method: 'POST',
    path: `/${encodeURIComponent(target)}/_bulk`,
    bulkBody: lines.join('\n') + '\n',
  })) as { items: Array<Record<string, BulkItem>> };
  return r.items.map((i) => Object.values(i)[0] as BulkItem);
}

/**
 * Makes `target` (a data stream or index) hold exactly `docs`: creates the
 * missing ones (building only those), deletes the ones no longer listed. Throws
 * {@link ElasticsearchError} naming the first refused document.
 */
export async function pushIndicators(client: Client, target: string, docs: IndicatorDocumentSet): Promise<PushResult> {
  try {
    const existing = await existingIds(client, target);
    const wanted = new Set(docs.ids);
    let created = 0;
    let unchanged = 0;
    // Positions of the documents to write, each id once (two feeds under one name may list the same entry).
    const missing: number[] = [];
    const seen = new Set<string>();
    docs.ids.forEach((id, i) => {
      if (existing.has(id)) unchanged++;
      else if (!seen.has(id)) {
        seen.add(id);
        missing.push(i);
      }
    });
    for (let i = 0; i < missing.length; i += BULK_DOCS) {
      const lines: string[] = [];
      for (const at of missing.slice(i, i + BULK_DOCS)) lines.push(JSON.stringify({ create: { _id: docs.ids[at] } }), JSON.stringify(docs.source(at)));
      for (const item of await bulk(client, target, lines)) {
        if (item.status >= 200 && item.status < 300) created++;
        else if (item.status === 409) unchanged++;
        else throw new ElasticsearchError(`Elasticsearch refused an indicator document in ${target}: HTTP ${item.status} ${item.error?.type ?? ''}: ${item.error?.reason ?? ''}`, item.status);
      }
    }
    const stale = [...existing].filter(([id]) => !wanted.has(id));
    let removed = 0;
    for (let i = 0; i < stale.length; i += BULK_DOCS) {
      // Deletes in a data stream name the backing index the document is in.
      const lines = stale.slice(i, i + BULK_DOCS).map(([id, index]) => JSON.stringify({ delete: { _index: index, _id: id } }));
      for (const item of await bulk(client, target, lines)) {
        if ((item.status >= 200 && item.status < 300) || item.status === 404) removed++;
        else throw new ElasticsearchError(`Elasticsearch refused to delete an indicator document in ${target}: HTTP ${item.status} ${item.error?.reason ?? ''}`, item.status);
      }
    }
    if (created > 0 || removed > 0) await client.transport.request({ method: 'POST', path: `/${encodeURIComponent(target)}/_refresh` }).catch(() => undefined);
    return { created, unchanged, removed };
  } catch (err) {
    if (err instanceof ElasticsearchError) throw err;
    throw new ElasticsearchError(`cannot push indicators to ${target}: ${describeEsError(err)}`, err instanceof errors.ResponseError ? err.statusCode : undefined, { cause: err });
  }
}
