/**
 * MISP: attributes from `POST /attributes/restSearch` (header
 * `Authorization: KEY`), `returnFormat: json`, paged with `page`/`limit`
 * until a short page or the `X-Result-Count` total, with `to_ids`,
 * `published`, `enforceWarninglist`, `tags`, `type` and `includeEventTags`.
 *
 * The cursor is the newest attribute `timestamp` seen; later pulls ask for
 * `timestamp >= cursor` with `deleted: [0, 1]`, so soft-deleted attributes
 * come back marked `deleted` and are removed, and `to_ids` is not filtered
 * by the server, so an attribute whose flag was cleared is seen and removed.
 * Attributes are merged by uuid. The feed is MISP's event-list shape
 * (`{"response": [{"Event": {..., "Attribute": [...]}}]}`), grouped by event,
 * which the MISP reader loads with the event's info, organisation and tags.
 */
import type { MispSource } from '../config/index.js';
import { SourceError } from '../errors.js';
import { jsonBody, jsonLines, obj, type DriverContext, type DriverOutcome, type SourceDriver } from './driver.js';

const ATTRIBUTE_FIELDS = ['uuid', 'type', 'category', 'value', 'to_ids', 'comment', 'timestamp', 'first_seen', 'last_seen', 'Tag'] as const;

type Attr = Record<string, unknown> & { uuid: string };
interface EventInfo {
  uuid: string;
  info?: string;
  Orgc?: { name: string };
  date?: string;
}

function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 'true';
}

function project(a: Record<string, unknown>): Attr {
  const out: Record<string, unknown> = {};
  for (const k of ATTRIBUTE_FIELDS) if (a[k] !== undefined && a[k] !== null) out[k] = a[k];
  if (Array.isArray(a.Tag)) out.Tag = a.Tag.map((t) => ({ name: obj(t)?.name })).filter((t) => typeof t.name === 'string');
  const e = obj(a.Event);
  const orgc = obj(e?.Orgc)?.name;
  const eventUuid = typeof e?.uuid === 'string' ? e.uuid : `event-${String(a.event_id ?? 'unknown')}`;
  out._event = {
    uuid: eventUuid,
    ...(typeof e?.info === 'string' ? { info: e.info } : {}),
    ...(typeof orgc === 'string' ? { Orgc: { name: orgc } } : {}),
    ...(typeof e?.date === 'string' ? { date: e.date } : {}),
  } satisfies EventInfo;
  return out as Attr;
}

/** The MISP driver. */
export const mispDriver: SourceDriver<MispSource> = {
  feedExtension: () => '.json',
  feedFormat: () => 'misp',

  async pull(ctx: DriverContext<MispSource>): Promise<DriverOutcome> {
    const { source } = ctx;
    const o = source.options;
    const key = ctx.secret('api_key', source.credentials.apiKey);
    const url = `${source.url.replace(/\/+$/, '')}/attributes/restSearch`;
    const cursor = ctx.previous !== undefined ? ctx.state?.cursor : undefined;
    const since = typeof cursor?.timestamp === 'number' ? cursor.timestamp : undefined;

    const attrs = new Map<string, Attr>();
    if (since !== undefined && ctx.previous) {
      const prev = obj(JSON.parse(ctx.previous.toString('utf8')));
      for (const item of Array.isArray(prev?.response) ? prev.response : []) {
        const ev = obj(obj(item)?.Event);
        if (!ev) continue;
        const info: EventInfo = { uuid: String(ev.uuid), ...(typeof ev.info === 'string' ? { info: ev.info } : {}), ...(obj(ev.Orgc) ? { Orgc: ev.Orgc as { name: string } } : {}), ...(typeof ev.date === 'string' ? { date: ev.date } : {}) };
        for (const a of Array.isArray(ev.Attribute) ? ev.Attribute : []) {
          const at = obj(a);
          if (at && typeof at.uuid === 'string') attrs.set(at.uuid, { ...at, uuid: at.uuid, _event: info });
        }
      }
    }

    const body: Record<string, unknown> = { returnFormat: 'json', limit: o.limit, includeEventTags: true, includeContext: false };
    if (since !== undefined) {
      body.timestamp = since;
      body.deleted = [0, 1];
    } else {
      if (o.toIds) body.to_ids = 1;
      if (o.maxAgeMs !== undefined) body.timestamp = Math.floor((ctx.now() - o.maxAgeMs) / 1000);
    }
    if (o.published !== undefined) body.published = o.published ? 1 : 0;
    if (o.enforceWarninglist !== undefined) body.enforceWarninglist = o.enforceWarninglist ? 1 : 0;
    if (o.tags) body.tags = o.tags;
    if (o.types) body.type = o.types;

    let newest = since ?? 0;
    let explained = 0;
    let touched = false;
    let received = 0;
    let total: number | undefined;
    for (let page = 1; ; page++) {
      const res = await ctx.http.request({
        method: 'POST',
        url,
        headers: { authorization: key, accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, page }),
      });
      const doc = obj(jsonBody(source.name, res, `attributes page ${page}`));
      const response = doc?.response;
      const list = Array.isArray(response) && response.length === 0 ? [] : obj(response)?.Attribute;
      if (!Array.isArray(list)) {
        const message = typeof doc?.message === 'string' ? `: ${doc.message}` : '';
        throw new SourceError(source.name, `attributes page ${page}: unexpected answer (no response.Attribute list)${message}`, { retryable: true });
      }
      const count = Number(res.headers['x-result-count']);
      if (Number.isSafeInteger(count) && count >= 0) total = count;
      for (const a of list) {
        const at = obj(a);
        if (!at || typeof at.uuid !== 'string') continue;
        received++;
        const ts = Number(at.timestamp);
        if (Number.isSafeInteger(ts) && ts > newest) newest = ts;
        const old = attrs.get(at.uuid);
        const drop = truthy(at.deleted) || (o.toIds && !truthy(at.to_ids));
        if (old) explained++;
        if (drop) {
          if (old) {
            attrs.delete(at.uuid);
            touched = true;
          }
          continue;
        }
        attrs.set(at.uuid, project(at));
        touched = true;
      }
      if (list.length < o.limit || (total !== undefined && received >= total)) break;
      if (page >= 1_000_000) throw new SourceError(source.name, 'more than a million pages');
    }
    if (total !== undefined && received < total) {
      throw new SourceError(source.name, `MISP announced ${total} attributes (X-Result-Count) but sent ${received}; keeping the previous feed`, { retryable: true });
    }

    const nextCursor = { timestamp: newest > 0 ? newest : Math.floor(ctx.now() / 1000) - 600 };
    if (since !== undefined && !touched) return { changed: false, cursor: nextCursor };

    const events = new Map<string, { info: EventInfo; attributes: Record<string, unknown>[] }>();
    for (const a of [...attrs.values()].sort((x, y) => (x.uuid < y.uuid ? -1 : x.uuid > y.uuid ? 1 : 0))) {
      const { _event, ...rest } = a as Attr & { _event: EventInfo };
      const e = events.get(_event.uuid) ?? { info: _event, attributes: [] };
      e.attributes.push(rest);
      events.set(_event.uuid, e);
    }
    const records = [...events.values()]
      .sort((x, y) => (x.info.uuid < y.info.uuid ? -1 : x.info.uuid > y.info.uuid ? 1 : 0))
      .map((e) => ({ Event: { ...e.info, Attribute: e.attributes } }));
    return {
      changed: true,
      content: jsonLines('{"response": [', records, ']}'),
      records: attrs.size,
      explainedRemovals: since !== undefined ? explained : 0,
      cursor: nextCursor,
    };
  },
};
