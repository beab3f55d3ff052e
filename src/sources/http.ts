/**
 * The one HTTP policy of live feed sources, on undici (Node's own HTTP
 * client): connect and per-attempt timeouts, a custom CA, HTTPS_PROXY /
 * HTTP_PROXY / NO_PROXY (undici's EnvHttpProxyAgent), gzip, a
 * `User-Agent: iochunt/<version>`, up to 5 redirects (a redirect to another
 * origin drops every header but the harmless ones, so credentials never
 * follow it), and retries:
 *
 * - 429 and 503 wait for their `Retry-After` (seconds or HTTP-date; a past
 *   or malformed date means no wait), cut to `maxRetryAfterMs` (default 1 h;
 *   undici's own retry handler caps at 30 s, which is why it is not used);
 *   without the header they back off like a 5xx;
 * - other 5xx, 408, connection resets, refused connections, timeouts and
 *   bodies cut short are retried with exponential backoff and jitter;
 * - other 4xx, TLS failures and oversized bodies are not retried.
 *
 * A failure throws {@link SourceError} whose message names the source, the
 * URL and the reason, with every known secret redacted.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import type { HttpSettings } from '../config/index.js';
import { formatDuration } from '../config/index.js';
import { describeError, SourceError } from '../errors.js';
import type { Reporter } from '../report.js';
import { version } from '../version.js';
import { parseRetryAfter } from './retry-after.js';
import type { Redactor } from './secrets.js';

/** One request. */
export interface HttpRequest {
  readonly method?: 'GET' | 'POST';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Statuses returned to the caller instead of thrown (besides 2xx), e.g. 304. */
  readonly pass?: readonly number[];
}

/** A response whose body was read whole (and gunzipped when the server sent gzip). */
export interface HttpResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface HttpClientOptions {
  readonly source: string;
  readonly settings: HttpSettings;
  readonly redactor: Redactor;
  readonly reporter?: Reporter;
  /** Test seam: waits between attempts. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

const BACKOFF_MAX_MS = 5 * 60_000;
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'Z_BUF_ERROR',
  'Z_DATA_ERROR',
]);

class BodyTooLarge extends Error {}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** Headers that may follow a redirect to another origin (everything else may carry credentials). */
const SAFE_HEADERS = new Set(['accept', 'accept-encoding', 'user-agent', 'content-type', 'if-none-match', 'if-modified-since']);

/** A failed attempt: whether to retry and how long the server asked to wait. */
interface AttemptFailure {
  readonly message: string;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const name = (e as { name?: unknown }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return name;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** HTTP for one source: build one per source and pull; {@link close} frees its connections. */
export class HttpClient {
  private readonly agent: EnvHttpProxyAgent;
  private readonly userAgent = `iochunt/${version()}`;

  constructor(private readonly options: HttpClientOptions) {
    const s = options.settings;
    let ca: string | undefined;
    if (s.caFile) {
      try {
        ca = readFileSync(s.caFile, 'utf8');
      } catch (err) {
        throw new SourceError(options.source, `http.ca_file: cannot read ${s.caFile}: ${describeError(err)}`);
      }
    }
    const tls = ca ? { ca } : {};
    this.agent = new EnvHttpProxyAgent({
      connect: { timeout: s.connectTimeoutMs, ...tls },
      requestTls: { timeout: s.connectTimeoutMs, ...tls },
      headersTimeout: s.timeoutMs,
      bodyTimeout: s.timeoutMs,
    });
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return this.options.sleep ? this.options.sleep(ms) : new Promise((r) => setTimeout(r, ms));
  }

  private backoff(retry: number): number {
    const s = this.options.settings;
    const base = Math.min(BACKOFF_MAX_MS, s.backoffMs * 2 ** (retry - 1));
    return Math.round(base * (0.5 + 0.5 * (this.options.random ?? Math.random)()));
  }

  /** Where the request goes, for messages: no query string (it may carry tokens) and no userinfo. */
  private where(url: string): string {
    try {
      const u = new URL(url);
      return this.options.redactor.redact(`${u.origin}${u.pathname}`);
    } catch {
      return this.options.redactor.redact(url);
    }
  }

  /** Sends `req`, following redirects and retrying per the policy; resolves to a 2xx (or a `pass` status) response with its whole body. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    let current = req;
    for (let hops = 0; ; hops++) {
      const res = await this.withRetries(current);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.status) || !location || (req.pass ?? []).includes(res.status)) return res;
      if (hops >= MAX_REDIRECTS) throw new SourceError(this.options.source, `more than ${MAX_REDIRECTS} redirects from ${this.where(req.url)}`);
      const next = new URL(location, current.url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new SourceError(this.options.source, `redirect to a ${next.protocol} URL refused`);
      const crossOrigin = next.origin !== new URL(current.url).origin;
      const toGet = res.status === 303 || ((res.status === 301 || res.status === 302) && current.method === 'POST');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(current.headers ?? {})) {
        const name = k.toLowerCase();
        if (crossOrigin && !SAFE_HEADERS.has(name)) continue;
        if (toGet && name === 'content-type') continue;
        headers[k] = v;
      }
      const { body: _body, ...rest } = current;
      current = { ...rest, url: next.href, headers, ...(toGet ? { method: 'GET' as const } : current.body !== undefined ? { body: current.body } : {}) };
    }
  }

  private async withRetries(req: HttpRequest): Promise<HttpResponse> {
    const s = this.options.settings;
    const attempts = s.retries + 1;
    for (let attempt = 1; ; attempt++) {
      const r = await this.attempt(req);
      if ('body' in r) return r;
      const where = this.where(req.url);
      if (!r.retryable || attempt >= attempts) {
        const tries = attempt > 1 ? ` (after ${attempt} attempts)` : '';
        throw new SourceError(this.options.source, this.options.redactor.redact(`${r.message} from ${where}${tries}`), {
          retryable: r.retryable,
          ...(r.status !== undefined ? { status: r.status } : {}),
          cause: r.cause,
        });
      }
      let wait = r.retryAfterMs ?? this.backoff(attempt);
      let capped = '';
      if (r.retryAfterMs !== undefined && r.retryAfterMs > s.maxRetryAfterMs) {
        wait = s.maxRetryAfterMs;
        capped = ` (Retry-After ${formatDuration(r.retryAfterMs)} cut to http.max_retry_after)`;
      }
      this.options.reporter?.warn(
        this.options.redactor.redact(
          `${this.options.source}: ${r.message} from ${where}; retrying in ${formatDuration(wait)}${capped} (attempt ${attempt + 1} of ${attempts})`,
        ),
      );
      await this.sleep(wait);
    }
  }

  private async attempt(req: HttpRequest): Promise<HttpResponse | AttemptFailure> {
    const s = this.options.settings;
    const headers: Record<string, string> = { 'user-agent': this.userAgent, 'accept-encoding': 'gzip', ...req.headers };
    if (req.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    let res: Dispatcher.ResponseData;
    try {
      res = await request(req.url, {
        method: req.method ?? 'GET',
        headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        dispatcher: this.agent,
        signal: AbortSignal.timeout(s.timeoutMs),
        headersTimeout: s.timeoutMs,
        bodyTimeout: s.timeoutMs,
      });
    } catch (err) {
      return this.networkFailure(err);
    }
    const status = res.statusCode;
    const h: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(res.headers)) h[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    const ok = (status >= 200 && status < 300) || (req.pass ?? []).includes(status) || (REDIRECTS.has(status) && h.location !== undefined);
    if (!ok) {
      const snippet = await this.snippet(res);
      const reason = `HTTP ${status}${snippet ? `: ${snippet}` : ''}`;
      if (status === 429 || status === 503) {
        const after = parseRetryAfter(h['retry-after'], (this.options.now ?? Date.now)());
        return { message: reason, retryable: true, status, ...(after !== undefined ? { retryAfterMs: after } : {}) };
      }
      return { message: reason, retryable: status === 408 || status >= 500, status };
    }
    try {
      let body = await readCapped(res.body, s.maxBytes);
      if ((h['content-encoding'] ?? '').toLowerCase().includes('gzip')) body = gunzipSync(body, { maxOutputLength: s.maxBytes });
      return { status, headers: h, body };
    } catch (err) {
      if (err instanceof BodyTooLarge || (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return { message: `response body larger than http.max_bytes (${s.maxBytes} bytes)`, retryable: false, status };
      }
      return this.networkFailure(err, 'reading the response body: ');
    }
  }

  private networkFailure(err: unknown, prefix = ''): AttemptFailure {
    const code = errorCode(err);
    const text = describeError(err);
    if (code === 'TimeoutError' || code === 'AbortError') {
      return { message: `${prefix}no complete answer within http.timeout (${formatDuration(this.options.settings.timeoutMs)})`, retryable: true, cause: err };
    }
    const retryable = code !== undefined ? RETRYABLE_CODES.has(code) : /terminated|other side closed|socket/i.test(text);
    const cause = (err as { cause?: unknown })?.cause;
    const detail = cause instanceof Error && cause.message !== text ? `${text} (${cause.message})` : text;
    return { message: `${prefix}${detail}${code && !detail.includes(code) ? ` [${code}]` : ''}`, retryable, cause: err };
  }

  /** The start of an error body, on one line, for messages. */
  private async snippet(res: Dispatcher.ResponseData): Promise<string> {
    try {
      const buf = await readCapped(res.body, 64 * 1024).catch(() => Buffer.alloc(0));
      const text = buf.toString('utf8').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
      return this.options.redactor.redact(text.length > 200 ? `${text.slice(0, 197)}...` : text);
    } catch {
      return '';
    }
  }
}

async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    n += b.length;
    if (n > max) {
      body.destroy();
      throw new BodyTooLarge();
    }
    parts.push(b);
  }
  return Buffer.concat(parts);
}
