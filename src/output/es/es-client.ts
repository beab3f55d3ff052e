/**
 * The official Elasticsearch client, set up for iochunt: the client's own
 * retries are off (the bulk sink owns retries and delivery), and the first
 * contact with the cluster tells an unreachable cluster (exit 2, or wait with
 * `--es-wait`) from refused credentials.
 */
import { Client, errors, type ClientOptions } from '@elastic/elasticsearch';
import { IochuntError } from '../../errors.js';
import type { Reporter } from '../../report.js';
import { redact, type EsConfig } from './es-config.js';

/** Makes a client for `config`. Nothing is sent yet. */
export function createEsClient(config: EsConfig): Client {
  const options: ClientOptions = {
    nodes: [...config.nodes],
    maxRetries: 0,
    requestTimeout: config.limits.requestTimeoutMs,
    name: 'iochunt',
    compression: false,
  };
  switch (config.auth.kind) {
    case 'apiKey': {
      // "id:key" as Elasticsearch returns it, or the already encoded form.
      const colon = config.auth.apiKey.indexOf(':');
      options.auth =
        colon > 0
          ? { apiKey: { id: config.auth.apiKey.slice(0, colon), api_key: config.auth.apiKey.slice(colon + 1) } }
          : { apiKey: config.auth.apiKey };
      break;
    }
    case 'basic':
      options.auth = { username: config.auth.username, password: config.auth.password };
      break;
    case 'bearer':
      options.auth = { bearer: config.auth.token };
      break;
    default:
      break;
  }
  if (config.ca !== undefined || config.insecure) {
    options.tls = {
      ...(config.ca !== undefined ? { ca: config.ca } : {}),
      ...(config.insecure ? { rejectUnauthorized: false } : {}),
    };
  }
  return new Client(options);
}

/** True for errors where the request may be sent again: no answer, a timeout, 429 or 5xx. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof errors.ResponseError) return err.statusCode === 429 || (err.statusCode ?? 0) >= 500;
  return (
    err instanceof errors.ConnectionError ||
    err instanceof errors.TimeoutError ||
    err instanceof errors.NoLivingConnectionsError ||
    err instanceof errors.DeserializationError
  );
}

/** A one-line description of a client error: the HTTP status and Elasticsearch's error type and reason. */
export function describeEsError(err: unknown): string {
  if (err instanceof errors.ResponseError) {
    const body = err.body as { error?: { type?: string; reason?: string } | string } | undefined;
    const e = body?.error;
    const what = typeof e === 'string' ? e : e ? `${e.type ?? 'error'}: ${e.reason ?? ''}` : err.message;
    return `HTTP ${err.statusCode ?? '?'} ${what}`;
  }
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** Errors that stop delivery to the cluster: credentials refused (401) or not allowed to write (403). */
export class ElasticsearchError extends IochuntError {
  readonly statusCode: number | undefined;

  constructor(message: string, statusCode: number | undefined, options?: { cause?: unknown }) {
    super(statusCode === undefined ? 'E_ES_UNREACHABLE' : 'E_ES_REFUSED', message, options);
    this.statusCode = statusCode;
  }

  override get name(): string {
    return 'ElasticsearchError';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * First contact: `GET /` on the cluster. Any HTTP answer but 401 means the
 * cluster is there (some distributions answer 405 on `/`); 401 means the
 * credentials were refused. When nothing answers, waits up to
 * `config.waitMs`, trying every 1–5 s, then throws.
 */
export async function connect(client: Client, config: EsConfig, reporter: Reporter): Promise<void> {
  const deadline = Date.now() + config.waitMs;
  const where = config.nodes.join(', ');
  let announced = false;
  let delay = 1000;
  for (;;) {
    try {
      // One try per node: a dead node is skipped when another answers.
      await client.transport.request({ method: 'GET', path: '/' }, { maxRetries: config.nodes.length - 1, requestTimeout: 10_000 });
      return;
    } catch (err) {
      if (err instanceof errors.ResponseError && err.statusCode !== undefined) {
        if (err.statusCode === 401) {
          throw new ElasticsearchError(
            redact(`Elasticsearch at ${where} refused the credentials (${describeEsError(err)}); check IOCHUNT_ES_* or --es-auth-file`, config.secrets),
            401,
            { cause: err },
          );
        }
        if (err.statusCode < 500) return;
      }
      if (Date.now() >= deadline) {
        throw new ElasticsearchError(
          redact(
            `Elasticsearch is not reachable at ${where}: ${describeEsError(err)}` +
              (config.waitMs > 0 ? ` (waited ${Math.round(config.waitMs / 1000)} s)` : '; use --es-wait SECONDS to wait for it'),
            config.secrets,
          ),
          undefined,
          { cause: err },
        );
      }
      if (!announced) {
        reporter.warn(redact(`Elasticsearch is not reachable at ${where} yet (${describeEsError(err)}); waiting up to ${Math.round(config.waitMs / 1000)} s`, config.secrets));
        announced = true;
      }
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      delay = Math.min(delay * 2, 5000);
    }
  }
}
