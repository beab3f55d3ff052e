/**
 * A loopback stand-in for AlienVault OTX and MISP (node:http), serving
 * responses shaped as OTX-Python-SDK and PyMISP / MISP's OpenAPI describe
 * them, plus plain URL feeds; faults (429 with Retry-After in seconds or as
 * an HTTP-date, 5xx, slow answers, truncated bodies, HTML pages with 200,
 * wrong keys) are queued per request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string; readonly body?: string }
  | { readonly kind: 'slow'; readonly ms: number }
  | { readonly kind: 'truncated' }
  | { readonly kind: 'html200' };

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface OtxIndicator {
  id: number;
  indicator: string;
  type: string;
  created: string;
  title?: string;
  description?: string;
  expiration?: string | null;
  is_active: number;
  content?: string;
  role?: string | null;
}

export interface OtxPulse {
  id: string;
  name: string;
  description: string;
  author_name: string;
  created: string;
  modified: string;
  tlp: string;
  tags: string[];
  references: string[];
  adversary?: string;
  malware_families?: string[];
  revision?: number;
  public?: number;
  indicators: OtxIndicator[];
}

export interface OtxEvent {
  id: string;
  action: 'subscribe' | 'unsubscribe' | 'delete';
  object_type: 'pulse' | 'user' | 'group';
  object_id: string;
  created: string;
}

export interface MispAttribute {
  id: string;
  event_id: string;
  object_id: string;
  object_relation: string | null;
  category: string;
  type: string;
  value: string;
  to_ids: boolean;
  uuid: string;
  timestamp: string;
  distribution: string;
  sharing_group_id: string;
  comment: string;
  deleted: boolean;
  disable_correlation: boolean;
  first_seen: string | null;
  last_seen: string | null;
  Event: { org_id: string; distribution: string; id: string; info: string; orgc_id: string; uuid: string };
  Tag?: Array<{ id: string; name: string; colour: string; numerical_value: string | null }>;
}

export interface IntelServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  otx: { key: string; pulses: OtxPulse[]; events: OtxEvent[]; badKeyStatus: number };
  misp: { key: string; attributes: MispAttribute[]; claimCount?: number };
  /** URL feeds by path: body, ETag, and whether to gzip the transfer. */
  files: Map<string, { body: string | Buffer; etag?: string; lastModified?: string; gzipTransfer?: boolean; contentType?: string }>;
  /** Paths answered with a redirect: path → [status, Location]. */
  redirects: Map<string, [number, string]>;
  /** Queues `fault` for the next `times` requests (whose path starts with `pathPrefix`, when given). */
  fail(fault: Fault, times?: number, pathPrefix?: string): void;
  /** Delay added to every answer (for crash tests). */
  delayMs: number;
  close(): Promise<void>;
}

function otxTime(s: string): number {
  return Date.parse(/Z|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
}

export async function startIntelServer(): Promise<IntelServer> {
  const queue: Array<{ fault: Fault; prefix?: string }> = [];
  const state: Omit<IntelServer, 'url' | 'close'> = {
    requests: [],
    otx: { key: 'otx-key-0123456789abcdef', pulses: [], events: [], badKeyStatus: 403 },
    misp: { key: 'misp-key-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab', attributes: [] },
    files: new Map(),
    redirects: new Map(),
    delayMs: 0,
    fail(fault, times = 1, pathPrefix) {
      for (let i = 0; i < times; i++) queue.push({ fault, ...(pathPrefix ? { prefix: pathPrefix } : {}) });
    },
  };
  let origin = '';

  const send = (res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void => {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
    res.writeHead(status, { 'content-length': String(buf.length), 'content-type': 'application/json', ...headers });
    res.end(buf);
  };

  const otx = (req: SeenRequest, res: ServerResponse): void => {
    if (req.headers['x-otx-api-key'] !== state.otx.key) {
      send(res, state.otx.badKeyStatus, JSON.stringify({ detail: 'Authentication credentials were not provided or are invalid.' }));
      return;
    }
    const limit = Number(req.query.get('limit') ?? '20');
    const page = Number(req.query.get('page') ?? '1');
    const paged = (all: unknown[]): void => {
      const results = all.slice((page - 1) * limit, page * limit);
      const q = new URLSearchParams(req.query);
      q.set('page', String(page + 1));
      const next = page * limit < all.length ? `${origin}${req.path}?${q.toString()}` : null;
      const pq = new URLSearchParams(req.query);
      pq.set('page', String(page - 1));
      send(res, 200, JSON.stringify({ count: all.length, next, previous: page > 1 ? `${origin}${req.path}?${pq.toString()}` : null, results }));
    };
    if (req.path === '/api/v1/pulses/subscribed') {
      const since = req.query.get('modified_since');
      const author = req.query.get('author_name');
      paged(
        state.otx.pulses
          .filter((p) => !since || otxTime(p.modified) >= otxTime(since))
          .filter((p) => !author || p.author_name === author)
          .sort((a, b) => otxTime(b.modified) - otxTime(a.modified) || (a.id < b.id ? -1 : 1)),
      );
      return;
    }
    if (req.path === '/api/v1/pulses/events') {
      const since = req.query.get('since');
      paged(state.otx.events.filter((e) => !since || otxTime(e.created) >= otxTime(since)));
      return;
    }
    const m = /^\/api\/v1\/pulses\/([0-9a-f]{24})$/.exec(req.path);
    if (m) {
      const p = state.otx.pulses.find((x) => x.id === m[1]);
      if (p) send(res, 200, JSON.stringify(p));
      else send(res, 404, JSON.stringify({ detail: 'Not found.' }));
      return;
    }
    send(res, 404, JSON.stringify({ detail: 'Not found.' }));
  };

  const misp = (req: SeenRequest, res: ServerResponse): void => {
    if (req.headers.authorization !== state.misp.key) {
      send(res, 403, JSON.stringify({ name: 'Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.', message: 'Authentication failed.', url: req.path }));
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(req.body) as Record<string, unknown>;
    } catch {
      send(res, 400, JSON.stringify({ name: 'Bad request', message: 'invalid JSON', url: req.path }));
      return;
    }
    const deleted = body.deleted;
    const both = Array.isArray(deleted) && deleted.map(Number).includes(0) && deleted.map(Number).includes(1);
    const onlyDeleted = deleted === 1 || deleted === '1' || deleted === true;
    const ts = body.timestamp === undefined ? undefined : Number(body.timestamp);
    const matched = state.misp.attributes
      .filter((a) => (both ? true : onlyDeleted ? a.deleted : !a.deleted))
      .filter((a) => ts === undefined || Number(a.timestamp) >= ts)
      .filter((a) => body.to_ids === undefined || a.to_ids === (Number(body.to_ids) === 1))
      .sort((a, b) => Number(a.id) - Number(b.id));
    const limit = Number(body.limit ?? matched.length);
    const page = Number(body.page ?? 1);
    const slice = matched.slice((page - 1) * limit, page * limit).map((a) => {
      const { Tag, ...rest } = a;
      return body.includeEventTags && Tag ? { ...rest, Tag } : rest;
    });
    send(res, 200, JSON.stringify({ response: { Attribute: slice } }), { 'x-result-count': String(state.misp.claimCount ?? matched.length) });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', origin);
      const seen: SeenRequest = { method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      state.requests.push(seen);
      const answer = (): void => {
        const i = queue.findIndex((q) => !q.prefix || seen.path.startsWith(q.prefix));
        const fault = i >= 0 ? queue.splice(i, 1)[0]?.fault : undefined;
        if (fault?.kind === 'status') {
          send(res, fault.status, fault.body ?? JSON.stringify({ detail: `status ${fault.status}` }), fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {});
          return;
        }
        if (fault?.kind === 'html200') {
          send(res, 200, '<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>We are down for maintenance</h1></body></html>', { 'content-type': 'text/html; charset=utf-8' });
          return;
        }
        if (fault?.kind === 'truncated') {
          res.writeHead(200, { 'content-length': '100000', 'content-type': 'application/json' });
          res.write('{"results": [{"id": "0123');
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        }
        const go = (): void => {
          const redirect = state.redirects.get(seen.path);
          if (redirect) {
            res.writeHead(redirect[0], { location: redirect[1], 'content-length': '0' });
            res.end();
            return;
          }
          if (seen.path.startsWith('/api/v1/')) otx(seen, res);
          else if (seen.path === '/attributes/restSearch') misp(seen, res);
          else {
            const f = state.files.get(seen.path);
            if (!f) {
              send(res, 404, 'not found', { 'content-type': 'text/plain' });
              return;
            }
            if (f.etag && req.headers['if-none-match'] === f.etag) {
              res.writeHead(304, { etag: f.etag });
              res.end();
              return;
            }
            const gzip = f.gzipTransfer && /gzip/.test(String(req.headers['accept-encoding'] ?? ''));
            const headers: Record<string, string> = { 'content-type': f.contentType ?? 'text/plain; charset=utf-8' };
            if (f.etag) headers.etag = f.etag;
            if (f.lastModified) headers['last-modified'] = f.lastModified;
            if (gzip) headers['content-encoding'] = 'gzip';
            send(res, 200, gzip ? gzipSync(f.body) : f.body, headers);
          }
        };
        if (fault?.kind === 'slow') setTimeout(go, fault.ms);
        else if (state.delayMs > 0) setTimeout(go, state.delayMs);
        else go();
      };
      answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  origin = `http://127.0.0.1:${addr && typeof addr === 'object' ? addr.port : 0}`;
  return Object.assign(state, {
    url: origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** An OTX pulse as the SDK's subscribed listing returns it. */
export function pulse(n: number, modified: string, indicators: Array<Pick<OtxIndicator, 'indicator' | 'type'> & Partial<OtxIndicator>>, author = 'AlienVault'): OtxPulse {
  return {
    id: `5f0000000000000000000${String(n).padStart(3, '0')}`,
    name: `Test pulse ${n}`,
    description: `Pulse number ${n}, a long description the feed does not need`,
    author_name: author,
    created: '2024-01-01T00:00:00.000000',
    modified,
    tlp: 'white',
    tags: ['test', `pulse-${n}`],
    references: [`https://example.org/report/${n}`],
    adversary: '',
    malware_families: [],
    revision: 1,
    public: 1,
    indicators: indicators.map((i, k) => ({ id: n * 1000 + k, created: '2024-01-01T00:00:00', title: '', description: '', expiration: null, is_active: 1, content: '', role: null, ...i })),
  };
}

/** A MISP attribute as /attributes/restSearch returns it. */
export function attribute(n: number, type: string, value: string, timestamp: number, extra: Partial<MispAttribute> = {}): MispAttribute {
  return {
    id: String(n),
    event_id: String(100 + (n % 2)),
    object_id: '0',
    object_relation: null,
    category: 'Network activity',
    type,
    value,
    to_ids: true,
    uuid: `5e000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    timestamp: String(timestamp),
    distribution: '5',
    sharing_group_id: '0',
    comment: `attribute ${n}`,
    deleted: false,
    disable_correlation: false,
    first_seen: null,
    last_seen: null,
    Event: { org_id: '1', distribution: '1', id: String(100 + (n % 2)), info: `Event ${100 + (n % 2)}`, orgc_id: '1', uuid: `5e100000-0000-4000-8000-00000000010${n % 2}` },
    Tag: [{ id: '1', name: 'tlp:amber', colour: '#FFC000', numerical_value: null }],
    ...extra,
  };
}
