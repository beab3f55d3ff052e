/**
 * TAXII 2.1: discovery (`/taxii2/`), the API root (configured, else the
 * server's default, else its first), the collection (by id or title), then
 * `GET {api root}/collections/{id}/objects/?limit=N&added_after=CURSOR`,
 * paged with `more`/`next` (the other parameters repeated, as servers
 * compare them). Every request sends `Accept: application/taxii+json;
 * version=2.1` and basic or bearer authentication.
 *
 * The cursor is the `X-TAXII-Date-Added-Last` header of the last page that
 * held objects (never `next`, which is only valid for one paging session).
 * Objects are merged by id, keeping the newest `modified` version, so a
 * revoked version replaces the indicator it revokes (the STIX reader skips
 * revoked indicators). The feed is a STIX 2.1 bundle.
 */
import { createHash } from 'node:crypto';
import type { TaxiiSource } from '../config/index.js';
import { SourceError } from '../errors.js';
import type { HttpResponse } from './http.js';
import { jsonBody, jsonLines, obj, sameOriginLink, type DriverContext, type DriverOutcome, type SourceDriver } from './driver.js';

export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';

type StixObject = Record<string, unknown> & { id: string };

function authHeader(ctx: DriverContext<TaxiiSource>): Record<string, string> {
  const c = ctx.source.credentials;
  if (!c) return {};
  if ('token' in c) return { authorization: `Bearer ${ctx.secret('token', c.token)}` };
  const password = ctx.secret('password', c.password);
  return { authorization: `Basic ${Buffer.from(`${c.username}:${password}`).toString('base64')}` };
}

function discoveryUrl(url: string): string {
  const u = new URL(url);
  if (/\/taxii2\/?$/.test(u.pathname)) return u.href.endsWith('/') ? u.href : `${u.href}/`;
  return new URL('taxii2/', u.href.endsWith('/') ? u.href : `${u.href}/`).href;
}

function withSlash(u: string): string {
  return u.endsWith('/') ? u : `${u}/`;
}

/** Newer of two STIX versions: by `modified`, a revoked one winning a tie. */
function replaces(next: StixObject, old: StixObject | undefined): boolean {
  if (!old) return true;
  const a = typeof old.modified === 'string' ? Date.parse(old.modified) : Number.NaN;
  const b = typeof next.modified === 'string' ? Date.parse(next.modified) : Number.NaN;
  if (Number.isNaN(a) || Number.isNaN(b)) return true;
  return b > a || (b === a && next.revoked === true);
}

/** The TAXII 2.1 driver. */
export const taxiiDriver: SourceDriver<TaxiiSource> = {
  feedExtension: () => '.json',
  feedFormat: () => 'stix',

  async pull(ctx: DriverContext<TaxiiSource>): Promise<DriverOutcome> {
    const { source } = ctx;
    const headers = { accept: TAXII_MEDIA_TYPE, ...authHeader(ctx) };
    const get = async (url: string, what: string): Promise<{ res: HttpResponse; body: Record<string, unknown> }> => {
      const res = await ctx.http.request({ url, headers });
      const type = (res.headers['content-type'] ?? '').toLowerCase().replace(/\s+/g, '');
      if (!type.startsWith('application/taxii+json')) {
        jsonBody(source.name, res, what); // an HTML page is named as such
        throw new SourceError(source.name, `${what}: answered with ${res.headers['content-type'] ?? 'no content type'}, not ${TAXII_MEDIA_TYPE}`);
      }
      const body = obj(jsonBody(source.name, res, what));
      if (!body) throw new SourceError(source.name, `${what}: the answer is not a JSON object`);
      return { res, body };
    };

    // Discovery and API root.
    const discovery = discoveryUrl(source.url);
    let apiRoot: string;
    if (source.options.apiRoot && /^https?:\/\//.test(source.options.apiRoot)) apiRoot = withSlash(sameOriginLink(source.name, discovery, source.options.apiRoot));
    else {
      const { body } = await get(discovery, 'discovery');
      const roots = (Array.isArray(body.api_roots) ? body.api_roots : []).filter((r): r is string => typeof r === 'string');
      const wanted = source.options.apiRoot;
      const pick = wanted
        ? roots.find((r) => withSlash(new URL(r, discovery).pathname).replace(/\/$/, '').endsWith(`/${wanted.replace(/^\/|\/$/g, '')}`))
        : typeof body.default === 'string'
          ? body.default
          : roots[0];
      if (!pick) {
        throw new SourceError(source.name, wanted ? `API root "${wanted}" is not among the server's (${roots.join(', ') || 'none'})` : 'the server lists no API root');
      }
      apiRoot = withSlash(sameOriginLink(source.name, discovery, pick));
    }

    // Collection by id or title.
    const { body: cols } = await get(`${apiRoot}collections/`, 'collections');
    const list = (Array.isArray(cols.collections) ? cols.collections : []).map(obj).filter((c): c is Record<string, unknown> => c !== undefined);
    const want = source.options.collection;
    const col = list.find((c) => c.id === want) ?? list.find((c) => c.title === want);
    if (!col || typeof col.id !== 'string') {
      throw new SourceError(source.name, `collection "${want}" not found; the API root has: ${list.map((c) => `${String(c.id)} (${String(c.title)})`).join(', ') || 'none readable'}`);
    }
    if (col.can_read === false) throw new SourceError(source.name, `collection "${want}" cannot be read with these credentials`);

    // Previous bundle.
    const cursor = ctx.previous !== undefined ? ctx.state?.cursor : undefined;
    const objects = new Map<string, StixObject>();
    if (cursor && ctx.previous) {
      const prev = obj(JSON.parse(ctx.previous.toString('utf8')));
      for (const o of Array.isArray(prev?.objects) ? prev.objects : []) {
        const so = obj(o);
        if (so && typeof so.id === 'string') objects.set(so.id, so as StixObject);
      }
    }
    let addedAfter = typeof cursor?.added_after === 'string' ? cursor.added_after : !cursor ? source.options.addedAfter : undefined;

    const objectsUrl = `${apiRoot}collections/${encodeURIComponent(col.id)}/objects/`;
    let explained = 0;
    let touched = false;
    let next: string | undefined;
    let last: string | undefined;
    for (let page = 1; ; page++) {
      const q = new URLSearchParams();
      q.set('limit', String(source.options.limit));
      if (addedAfter) q.set('added_after', addedAfter);
      if (next) q.set('next', next);
      const { res, body } = await get(`${objectsUrl}?${q.toString()}`, `objects page ${page}`);
      const objs = body.objects === undefined ? [] : body.objects;
      if (!Array.isArray(objs)) throw new SourceError(source.name, `objects page ${page}: "objects" is not a list`);
      for (const o of objs) {
        const so = obj(o);
        if (!so || typeof so.id !== 'string') continue;
        const old = objects.get(so.id);
        if (!replaces(so as StixObject, old)) continue;
        if (old) explained++;
        objects.set(so.id, so as StixObject);
        touched = true;
      }
      const dateLast = res.headers['x-taxii-date-added-last'];
      if (objs.length > 0 && dateLast) last = dateLast;
      if (body.more !== true) break;
      if (typeof body.next !== 'string' || body.next === '') throw new SourceError(source.name, `objects page ${page}: "more" is true but there is no "next"`);
      next = body.next;
      if (page >= 1_000_000) throw new SourceError(source.name, 'more than a million pages');
    }
    if (objects.size > 0 && !last && touched) {
      ctx.reporter.warn(`${source.name}: the server sent no X-TAXII-Date-Added-Last header; the next pull starts over`);
    }
    if (last) addedAfter = last;
    const nextCursor = addedAfter && (last || cursor) ? { added_after: addedAfter } : undefined;
    if (cursor && !touched) return { changed: false, ...(nextCursor ? { cursor: nextCursor } : {}) };
    const id = createHash('sha256').update(`iochunt:${source.name}`).digest('hex');
    const bundleId = `bundle--${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-a${id.slice(17, 20)}-${id.slice(20, 32)}`;
    const sorted = [...objects.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return {
      changed: true,
      content: jsonLines(`{"type": "bundle", "id": ${JSON.stringify(bundleId)}, "objects": [`, sorted, ']}'),
      records: sorted.length,
      explainedRemovals: cursor ? explained : 0,
      ...(nextCursor ? { cursor: nextCursor } : {}),
    };
  },
};
