/**
 * Prometheus metrics and health endpoints of `tail` (`--metrics-listen`),
 * on one prom-client registry. Names follow the Prometheus conventions:
 * `iochunt_` prefix, `_total` counters, base units (bytes, seconds); no
 * label carries a file path or an indicator value (unbounded cardinality,
 * and indicators can be sensitive): labels are indicator types, `live` /
 * `retro`, and results.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { UsageError } from '../errors.js';
import type { HitDocument } from '../output/hit-document.js';
import type { HitSink } from '../output/sink.js';
import type { EsDeliveryStats } from '../output/es/es-sink.js';

/** A listen address: `HOST:PORT`, `[V6]:PORT`, `:PORT` or `PORT`. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses `--metrics-listen`. */
export function parseListen(option: string, value: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):?(\d{1,5})$/.exec(value.trim()) ?? /^()()(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`Expected HOST:PORT, :PORT or PORT (e.g. 127.0.0.1:9464) for ${option} but received ${JSON.stringify(value)}`);
  }
  const host = m[1] ?? (m[2] && m[2] !== '' ? m[2] : '0.0.0.0');
  return { host, port };
}

/** The metrics of one `tail` run. */
export class TailMetrics {
  readonly registry = new Registry();
  readonly bytesRead: Counter<'kind'>;
  readonly hitLines: Counter<'kind'>;
  readonly matches: Counter<'kind' | 'type'>;
  readonly documentsWritten: Counter;
  readonly filesActive: Gauge;
  readonly fileEvents: Counter<'event'>;
  readonly indicators: Gauge<'type'>;
  readonly reloads: Counter<'result'>;
  readonly reloadLast: Gauge;
  readonly reloadSuccess: Gauge;
  readonly reloadDuration: Histogram;
  readonly commitDuration: Histogram;
  readonly lagBytes: Gauge;
  readonly cycles: Counter;
  readonly stateWriteFailures: Counter;
  readonly inputErrors: Counter;
  private esStats: EsDeliveryStats | undefined;
  private readonly esSeen = { indexed: 0, duplicates: 0, retried: 0, deadLettered: 0 };

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'iochunt_' });
    this.bytesRead = new Counter({ name: 'iochunt_read_bytes_total', help: 'Bytes of logs scanned (decompressed), by pass: live (new bytes) or retro (rescanned for added indicators).', labelNames: ['kind'], registers });
    this.hitLines = new Counter({ name: 'iochunt_hit_lines_total', help: 'Log lines with at least one hit, handed to the outputs, by pass (live or retro).', labelNames: ['kind'], registers });
    this.matches = new Counter({ name: 'iochunt_matches_total', help: 'Indicator matches in hit lines, by indicator type and pass.', labelNames: ['kind', 'type'], registers });
    this.documentsWritten = new Counter({ name: 'iochunt_documents_written_total', help: 'Hit documents handed to the outputs.', registers });
    this.filesActive = new Gauge({ name: 'iochunt_files_active', help: 'Files followed in the last cycle.', registers });
    this.fileEvents = new Counter({ name: 'iochunt_file_events_total', help: 'Files found new, rotated (renamed, compressed or copied away and still read), or truncated.', labelNames: ['event'], registers });
    this.indicators = new Gauge({ name: 'iochunt_indicators', help: 'Indicators of the running set, by type.', labelNames: ['type'], registers });
    this.reloads = new Counter({ name: 'iochunt_indicator_reloads_total', help: 'Loads of a changed indicator set, by result (success, failure, unchanged).', labelNames: ['result'], registers });
    this.reloadLast = new Gauge({ name: 'iochunt_indicator_reload_last_timestamp_seconds', help: 'Time of the last indicator load attempt (Unix seconds).', registers });
    this.reloadSuccess = new Gauge({ name: 'iochunt_indicator_reload_success', help: '1 when the last indicator load succeeded, 0 when it failed (the previous set keeps running).', registers });
    this.reloadDuration = new Histogram({ name: 'iochunt_indicator_reload_duration_seconds', help: 'Time to load and compile an indicator set.', buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120], registers });
    this.commitDuration = new Histogram({
      name: 'iochunt_sink_commit_duration_seconds',
      help: 'Time for the outputs to confirm delivery of a cycle (flush, fsync, Elasticsearch acknowledgement) before positions are committed.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    });
    this.lagBytes = new Gauge({ name: 'iochunt_lag_bytes', help: 'Bytes written to the followed files but not yet read and delivered, at the end of the last cycle.', registers });
    this.cycles = new Counter({ name: 'iochunt_cycles_total', help: 'Follow cycles run (plan, retro, read, commit).', registers });
    this.stateWriteFailures = new Counter({ name: 'iochunt_state_write_failures_total', help: 'Failed writes of the state file (a full disk), retried.', registers });
    this.inputErrors = new Counter({ name: 'iochunt_input_errors_total', help: 'Files that could not be read (completely).', registers });
    const seen = this.esSeen;
    const es = (): EsDeliveryStats | undefined => this.esStats;
    const esCounter = (name: string, help: string, key: keyof typeof seen): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          const s = es();
          if (!s) return;
          const v = s[key];
          if (v > seen[key]) this.inc(v - seen[key]);
          seen[key] = v;
        },
      });
    };
    esCounter('iochunt_es_indexed_total', 'Hit documents Elasticsearch acknowledged as created.', 'indexed');
    esCounter('iochunt_es_duplicates_total', 'Hit documents Elasticsearch already had (same id: a repeat after a crash or retry).', 'duplicates');
    esCounter('iochunt_es_retried_total', 'Hit documents sent again after a 429, 5xx or connection error.', 'retried');
    esCounter('iochunt_es_dead_lettered_total', 'Hit documents written to the dead-letter file instead of Elasticsearch.', 'deadLettered');
  }

  /** Reads the Elasticsearch delivery counters from `stats` at each scrape. */
  watchEs(stats: EsDeliveryStats): void {
    this.esStats = stats;
  }

  /** A sink that counts what passes through it into these metrics. */
  countingSink(inner: HitSink): HitSink {
    const m = this;
    return {
      get gone() {
        return inner.gone;
      },
      async write(docs: readonly HitDocument[]) {
        for (const d of docs) {
          const kind = String((d as unknown as { iochunt?: { match?: { kind?: string } } }).iochunt?.match?.kind ?? 'live');
          m.hitLines.inc({ kind });
          for (const e of d.threat.enrichments) m.matches.inc({ kind, type: String(e.indicator.type) });
        }
        m.documentsWritten.inc(docs.length);
        await inner.write(docs);
      },
      flush: () => inner.flush(),
      ...(inner.sync ? { sync: () => (inner.sync as () => Promise<void>)() } : {}),
      close: () => inner.close(),
    };
  }

  /** Sets the indicator gauge to the counts of the running set. */
  setIndicators(counts: Readonly<Record<string, number>>): void {
    this.indicators.reset();
    for (const [type, n] of Object.entries(counts)) this.indicators.set({ type }, n);
  }
}

/** What the health endpoints ask. */
export interface Health {
  /** Ready: indicators loaded, the outputs delivering, not shutting down. Returns the reason when not. */
  notReady(): string | undefined;
}

/**
 * Serves `/metrics`, `/healthz` (the process is alive) and `/readyz`
 * (indicators loaded and the outputs delivering) on `address`.
 */
/** The `/metrics` URL of a server from {@link serveMetrics} (IPv6 addresses in brackets). */
export function metricsUrl(server: Server): string {
  const a = server.address();
  const host = typeof a === 'object' && a ? `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}` : String(a);
  return `http://${host}/metrics`;
}

export async function serveMetrics(metrics: TailMetrics, health: Health, address: ListenAddress): Promise<Server> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
      );
      return;
    }
    if (url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (url === '/readyz') {
      const why = health.notReady();
      res.writeHead(why ? 503 : 200, { 'content-type': 'text/plain' }).end(why ? `not ready: ${why}\n` : 'ready\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: /metrics, /healthz, /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  return server;
}
