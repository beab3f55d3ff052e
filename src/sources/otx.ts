/**
 * AlienVault OTX: the pulses the key's user is subscribed to.
 *
 * - `GET /api/v1/pulses/subscribed?limit=N&modified_since=CURSOR`, following
 *   `next` until it is null, header `X-OTX-API-KEY`;
 * - `GET /api/v1/pulses/events?limit=N&since=CURSOR` (after the first pull):
 *   pulse `unsubscribe`/`delete` removes the pulse, pulse `subscribe` fetches
 *   it (`/api/v1/pulses/ID`), user `unsubscribe` removes that author's
 *   pulses, user `subscribe` fetches them;
 * - pulses are merged by id; the feed is the OTX subscribed-pulses shape
 *   (`{"results": [pulse, ...]}`) that the OTX reader loads, with the fields
 *   it uses (indicator `expiration` and `is_active` included).
 *
 * Cursors: `modified_since` is the newest pulse `modified` seen, `events_since`
 * the newest event `created` (both re-read inclusively: merging is idempotent).
 */
import type { OtxSource } from '../config/index.js';
import { SourceError } from '../errors.js';
import { jsonBody, jsonLines, obj, sameOriginLink, type DriverContext, type DriverOutcome, type SourceDriver } from './driver.js';

const PULSE_FIELDS = ['id', 'name', 'author_name', 'created', 'modified', 'tlp', 'TLP', 'tags', 'references', 'indicators'] as const;
const INDICATOR_FIELDS = ['id', 'indicator', 'type', 'title', 'description', 'created', 'expiration', 'is_active'] as const;

type Pulse = Record<string, unknown> & { id: string };

function project(p: Record<string, unknown>): Pulse {
  const out: Record<string, unknown> = {};
  for (const k of PULSE_FIELDS) if (p[k] !== undefined && p[k] !== null) out[k] = p[k];
  if (out.author_name === undefined) {
    const u = obj(p.author)?.username;
    if (typeof u === 'string') out.author_name = u;
  }
  if (Array.isArray(p.indicators)) {
    out.indicators = p.indicators.map((i) => {
      const o = obj(i) ?? {};
      const r: Record<string, unknown> = {};
      for (const k of INDICATOR_FIELDS) if (o[k] !== undefined && o[k] !== null) r[k] = o[k];
      return r;
    });
  }
  return out as Pulse;
}

function pulseId(p: Record<string, unknown>): string | undefined {
  const id = p.id;
  return typeof id === 'string' && id !== '' ? id : typeof id === 'number' ? String(id) : undefined;
}

function indicatorCount(p: Pulse | undefined): number {
  return p && Array.isArray(p.indicators) ? p.indicators.length : 0;
}

/** OTX times often have no zone (`2024-01-02T03:04:05.678000`): they are UTC. */
function otxTime(s: string): number {
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
}

function newer(a: string | undefined, b: string | undefined): string | undefined {
  if (!a || Number.isNaN(otxTime(a))) return b;
  if (!b || Number.isNaN(otxTime(b))) return a;
  return otxTime(b) > otxTime(a) ? b : a;
}

/** The OTX driver. */
export const otxDriver: SourceDriver<OtxSource> = {
  feedExtension: () => '.json',
  feedFormat: () => 'otx',

  async pull(ctx: DriverContext<OtxSource>): Promise<DriverOutcome> {
    const { source } = ctx;
    const key = ctx.secret('api_key', source.credentials.apiKey);
    const headers = { 'x-otx-api-key': key, accept: 'application/json' };
    const base = source.url.replace(/\/+$/, '');
    const limit = source.options.limit;

    /** Walks one paged listing, calling `each` per result; returns the Date header of the first page. */
    const walk = async (first: string, what: string, each: (r: Record<string, unknown>) => void): Promise<string | undefined> => {
      let next: string | null = first;
      let date: string | undefined;
      let pages = 0;
      while (next) {
        const res = await ctx.http.request({ url: next, headers });
        date ??= res.headers.date;
        const page = obj(jsonBody(source.name, res, what));
        if (!page || !Array.isArray(page.results)) throw new SourceError(source.name, `${what}: unexpected answer (no "results" list)`, { retryable: true });
        for (const r of page.results) {
          const o = obj(r);
          if (o) each(o);
        }
        const n = page.next;
        if (n !== null && n !== undefined && typeof n !== 'string') throw new SourceError(source.name, `${what}: "next" is neither a link nor null`);
        next = typeof n === 'string' && n !== '' ? sameOriginLink(source.name, base, n) : null;
        if (++pages > 100_000) throw new SourceError(source.name, `${what}: more than 100000 pages; the server keeps sending next links`);
      }
      return date;
    };

    const query = (params: Record<string, string | number | undefined>): string => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
      return q.toString();
    };

    const pulses = new Map<string, Pulse>();
    const cursor = ctx.previous !== undefined ? ctx.state?.cursor : undefined;
    if (cursor && ctx.previous) {
      const prev = obj(JSON.parse(ctx.previous.toString('utf8')));
      for (const p of Array.isArray(prev?.results) ? prev.results : []) {
        const o = obj(p);
        const id = o && pulseId(o);
        if (o && id) pulses.set(id, o as Pulse);
      }
    }
    let explained = 0;
    let touched = false;
    const upsert = (p: Record<string, unknown>): void => {
      const id = pulseId(p);
      if (!id) return;
      explained += indicatorCount(pulses.get(id));
      pulses.set(id, project({ ...p, id }));
      touched = true;
    };
    const remove = (id: string): void => {
      const p = pulses.get(id);
      if (!p) return;
      explained += indicatorCount(p);
      pulses.delete(id);
      touched = true;
    };

    let modifiedSince = typeof cursor?.modified_since === 'string' ? cursor.modified_since : undefined;
    let eventsSince = typeof cursor?.events_since === 'string' ? cursor.events_since : undefined;
    const subscribed = `${base}/api/v1/pulses/subscribed`;

    if (cursor && eventsSince) {
      const events: Record<string, unknown>[] = [];
      await walk(`${base}/api/v1/pulses/events?${query({ limit, since: eventsSince })}`, 'pulse events', (e) => events.push(e));
      for (const e of events) {
        eventsSince = newer(eventsSince, typeof e.created === 'string' ? e.created : undefined);
        const id = typeof e.object_id === 'string' || typeof e.object_id === 'number' ? String(e.object_id) : undefined;
        if (!id) continue;
        if (e.object_type === 'pulse') {
          if (e.action === 'unsubscribe' || e.action === 'delete' || e.action === 'deleted') remove(id);
          else if (e.action === 'subscribe') {
            const res = await ctx.http.request({ url: `${base}/api/v1/pulses/${encodeURIComponent(id)}`, headers, pass: [404] });
            if (res.status === 404) remove(id);
            else {
              const p = obj(jsonBody(source.name, res, `pulse ${id}`));
              if (p) upsert({ ...p, id });
            }
          }
        } else if (e.object_type === 'user') {
          if (e.action === 'unsubscribe') {
            for (const [pid, p] of [...pulses]) if (typeof p.author_name === 'string' && p.author_name.toLowerCase() === id.toLowerCase()) remove(pid);
          } else if (e.action === 'subscribe') {
            await walk(`${subscribed}?${query({ limit, author_name: id })}`, `pulses of ${id}`, upsert);
          }
        }
      }
    }

    const initialSince = !cursor && source.options.maxAgeMs !== undefined ? new Date(ctx.now() - source.options.maxAgeMs).toISOString() : undefined;
    let newest: string | undefined;
    const date = await walk(
      `${subscribed}?${query({ limit, modified_since: modifiedSince ?? initialSince, author_name: source.options.authorName })}`,
      'subscribed pulses',
      (p) => {
        newest = newer(newest, typeof p.modified === 'string' ? p.modified : undefined);
        upsert(p);
      },
    );
    modifiedSince = newer(modifiedSince, newest);
    if (!cursor) {
      // As the SDK's cached client does: events from a little before this first pull on.
      const serverNow = date && !Number.isNaN(Date.parse(date)) ? Date.parse(date) : ctx.now();
      eventsSince = new Date(serverNow - 10 * 60_000).toISOString();
      modifiedSince ??= initialSince ?? new Date(serverNow - 10 * 60_000).toISOString();
    }
    const nextCursor = { ...(modifiedSince ? { modified_since: modifiedSince } : {}), ...(eventsSince ? { events_since: eventsSince } : {}) };
    if (cursor && !touched) return { changed: false, cursor: nextCursor };
    const sorted = [...pulses.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return {
      changed: true,
      content: jsonLines('{"results": [', sorted, ']}'),
      records: sorted.length,
      explainedRemovals: cursor ? explained : 0,
      cursor: nextCursor,
    };
  },
};
