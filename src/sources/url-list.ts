/**
 * A feed published at a URL, in any format iochunt reads (plain lists,
 * CSV, hosts files, STIX, MISP, OTX, Zeek intel, ...): fetched whole with
 * `If-None-Match` / `If-Modified-Since` from the last success (a 304 costs
 * no body and changes nothing), gzip transfer accepted, a gzip file
 * unpacked. An HTML page is refused. The feed replaces the previous one
 * whole, so there are no deletions to explain a shrink.
 */
import { gunzipSync } from 'node:zlib';
import type { UrlSource } from '../config/index.js';
import { SourceError } from '../errors.js';
import type { DriverContext, DriverOutcome, SourceDriver } from './driver.js';

const EXTENSIONS = new Set(['.txt', '.csv', '.json', '.jsonl', '.ndjson', '.intel', '.dat', '.list', '.hosts', '.tsv']);

function authHeaders(ctx: DriverContext<UrlSource>): Record<string, string> {
  const c = ctx.source.credentials;
  if (!c) return {};
  if ('token' in c) return { authorization: `Bearer ${ctx.secret('token', c.token)}` };
  if ('header' in c) return { [c.header.toLowerCase()]: ctx.secret('value', c.value) };
  return { authorization: `Basic ${Buffer.from(`${c.username}:${ctx.secret('password', c.password)}`).toString('base64')}` };
}

/** The URL-list driver. */
export const urlDriver: SourceDriver<UrlSource> = {
  feedFormat: (source) => source.options.format,

  feedExtension(source) {
    const path = new URL(source.url).pathname.replace(/\.gz$/i, '');
    const m = /(\.[A-Za-z0-9]+)$/.exec(path);
    const ext = m?.[1]?.toLowerCase();
    return ext && EXTENSIONS.has(ext) ? ext : '.txt';
  },

  async pull(ctx: DriverContext<UrlSource>): Promise<DriverOutcome> {
    const { source, state } = ctx;
    const conditional: Record<string, string> = {};
    if (ctx.previous !== undefined && state?.etag) conditional['if-none-match'] = state.etag;
    if (ctx.previous !== undefined && state?.lastModified) conditional['if-modified-since'] = state.lastModified;
    const res = await ctx.http.request({ url: source.url, headers: { accept: '*/*', ...authHeaders(ctx), ...conditional }, pass: [304] });
    const validators = {
      ...(res.headers.etag ? { etag: res.headers.etag } : state?.etag && res.status === 304 ? { etag: state.etag } : {}),
      ...(res.headers['last-modified'] ? { lastModified: res.headers['last-modified'] } : state?.lastModified && res.status === 304 ? { lastModified: state.lastModified } : {}),
    };
    if (res.status === 304) return { changed: false, ...validators };
    let body = res.body;
    if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) {
      try {
        body = gunzipSync(body, { maxOutputLength: source.http.maxBytes });
      } catch (err) {
        throw new SourceError(source.name, `the gzip file is damaged: ${(err as Error).message}`, { retryable: true });
      }
    }
    const head = body.subarray(0, 2048).toString('utf8');
    if ((res.headers['content-type'] ?? '').toLowerCase().includes('text/html') || /^\s*<(!doctype html|html|head|body)\b/i.test(head)) {
      throw new SourceError(source.name, `the server answered HTTP ${res.status} with an HTML page (${res.headers['content-type'] ?? 'no content type'}), not a feed: ${JSON.stringify(head.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 80))}`, { retryable: true });
    }
    const records = body.length === 0 ? 0 : body.toString('utf8').split('\n').filter((l) => l.trim() !== '').length;
    return { changed: true, content: body, records, explainedRemovals: 0, ...validators };
  },
};
