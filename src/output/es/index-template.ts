/**
 * The index templates of `iochunt es setup`: hits (`logs-iochunt.hits-*`)
 * and indicators (`logs-ti_iochunt.indicators-*`). Both are composed of the
 * stack's own `logs@mappings`, `logs@settings` and `ecs@mappings` where the
 * cluster has them, with an equivalent of their own where it does not (the
 * minimal distributions), and iochunt's mappings on top: `threat.enrichments`
 * as `nested` (as ECS and Elastic's indicator-match rules have it), URLs as
 * `wildcard` (a long keyword without x-pack), indicator descriptions as
 * `keyword` (as the Security alerts index maps them), the formats' free-form
 * objects as `flattened`, and `iochunt.*`. Retention is the data stream
 * lifecycle's (`--retention DAYS`).
 *
 * Address and secondary date fields use `ignore_malformed`: an odd value
 * leaves that field unindexed instead of refusing the whole hit.
 */
import type { Client } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import type { Reporter } from '../../report.js';
import { DEFAULT_ES_INDEX, redact, type EsConfig } from './es-config.js';
import { describeEsError, ElasticsearchError } from './es-client.js';

/** The name of the template `es setup` installs for `index`. */
export function templateName(index: string): string {
  return index === DEFAULT_ES_INDEX ? 'iochunt-hits' : `iochunt-hits-${index}`;
}

/** The index patterns of the template: the data stream family for the default, the name itself otherwise. */
export function templatePatterns(index: string): string[] {
  return index === DEFAULT_ES_INDEX ? ['logs-iochunt.hits-*'] : [index];
}

type Mapping = Record<string, unknown>;

/**
 * What the cluster offers that the templates build on: the stack's own
 * component templates (`ecs@mappings`, `logs@mappings`, `logs@settings`,
 * from Elasticsearch 8.11 with x-pack) and the `wildcard` field type (the
 * x-pack wildcard module). The minimal distributions have neither; the
 * templates then carry an equivalent of their own.
 */
export interface ClusterFeatures {
  readonly ecsMappings: boolean;
  readonly logsMappings: boolean;
  readonly logsSettings: boolean;
  readonly wildcard: boolean;
}

/** A full Elastic stack (what `es setup --print` shows). */
export const FULL_STACK: ClusterFeatures = { ecsMappings: true, logsMappings: true, logsSettings: true, wildcard: true };

/** Template options besides the target. */
export interface TemplateOptions {
  readonly features: ClusterFeatures;
  /** Data stream lifecycle retention in days (`--retention`); undefined keeps data (or leaves it to the stack's ILM policy). */
  readonly retentionDays?: number;
}

const keyword: Mapping = { type: 'keyword', ignore_above: 1024 };
const ip: Mapping = { type: 'ip', ignore_malformed: true };
const date: Mapping = { type: 'date', ignore_malformed: true };
const long: Mapping = { type: 'long', ignore_malformed: true };
const double: Mapping = { type: 'double', ignore_malformed: true };
const obj = (properties: Record<string, Mapping>): Mapping => ({ properties });

/** ECS's type for URLs (`wildcard`: any length, infix search), or a keyword long enough for phishing URLs without it. */
const urlType = (f: ClusterFeatures): Mapping => (f.wildcard ? { type: 'wildcard' } : { type: 'keyword', ignore_above: 8191 });
/** ECS `match_only_text` needs x-pack; `text` is its equivalent. */
const freeText = (f: ClusterFeatures): Mapping => (f.ecsMappings ? { type: 'match_only_text' } : { type: 'text' });

/** ECS `threat.indicator` / `threat.enrichments.indicator` (description as keyword, URLs as wildcard). */
function indicatorObjectMappings(f: ClusterFeatures): Mapping {
  const hashes = obj({ md5: keyword, sha1: keyword, sha256: keyword, sha512: keyword });
  return obj({
    name: keyword,
    type: keyword,
    ip,
    url: obj({ domain: keyword, full: urlType(f), original: urlType(f) }),
    file: obj({ hash: hashes }),
    email: obj({ address: keyword }),
    description: keyword,
    confidence: keyword,
    reference: keyword,
    provider: keyword,
    marking: obj({ tlp: keyword }),
    first_seen: date,
    last_seen: date,
    modified_at: date,
  });
}

/** The custom part of an indicator (`iochunt.*` of indicator documents, `threat.enrichments.iochunt.*` of hits). */
const indicatorExtras = (f: ClusterFeatures): Mapping =>
  obj({
    feed: obj({ path: keyword }),
    severity: keyword,
    recommendation: freeText(f),
    confidence: double,
    tlp: keyword,
    valid_from: date,
    valid_until: date,
  });

const endpoint = (): Mapping => obj({ ip, address: keyword, domain: keyword, port: long, bytes: long, packets: long });

/**
 * What `ecs@mappings` gives, for clusters without it: the ECS fields iochunt
 * writes, typed as ECS types them, and dynamic templates for the rest as
 * ECS's (`*.ip` → ip, `*.port`/`*.bytes` → long, times → date, strings → keyword).
 */
function ecsFallback(f: ClusterFeatures): { properties: Record<string, Mapping>; dynamic_templates: Mapping[] } {
  return {
    dynamic_templates: [
      { ecs_ip: { path_match: ['ip', '*.ip', '*_ip'], match_mapping_type: 'string', mapping: { type: 'ip' } } },
      { ecs_long: { path_match: ['*.port', '*.bytes', '*.packets', '*.pid'], mapping: { type: 'long' } } },
      { ecs_date: { path_match: ['*.timestamp', '*.created', '*.start', '*.end', '*.first_seen', '*.last_seen', '*.modified_at'], mapping: { type: 'date' } } },
      { ecs_strings: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: 1024 } } },
    ],
    properties: {
      '@timestamp': { type: 'date' },
      message: freeText(f),
      tags: keyword,
      ecs: obj({ version: keyword }),
      agent: obj({ type: keyword, name: keyword, version: keyword }),
      data_stream: obj({ type: keyword, dataset: keyword, namespace: keyword }),
      event: obj({
        kind: keyword,
        dataset: keyword,
        category: keyword,
        type: keyword,
        action: keyword,
        outcome: keyword,
        provider: keyword,
        id: keyword,
        original: { type: 'keyword', index: false, doc_values: false },
        created: date,
        start: date,
        end: date,
        severity: long,
      }),
      log: obj({ file: obj({ path: keyword }), level: keyword, logger: keyword, syslog: obj({ structured_data: { type: 'flattened' } }) }),
      source: endpoint(),
      destination: endpoint(),
      client: endpoint(),
      server: endpoint(),
      host: obj({ hostname: keyword, name: keyword, ip }),
      related: obj({ ip, hosts: keyword, user: keyword, hash: keyword }),
      network: obj({ transport: keyword, type: keyword, direction: keyword, iana_number: keyword, name: keyword, forwarded_ip: ip }),
      url: obj({ domain: keyword, path: keyword, query: keyword }),
      dns: obj({
        question: obj({ name: keyword, type: keyword, class: keyword }),
        answers: obj({ name: keyword, type: keyword, class: keyword, data: keyword, ttl: long }),
        response_code: keyword,
        type: keyword,
      }),
      http: obj({ request: obj({ method: keyword, referrer: keyword }), response: obj({ status_code: long, body: obj({ bytes: long }) }), version: keyword }),
      user: obj({ name: keyword, id: keyword, email: keyword }),
      user_agent: obj({ original: keyword }),
      process: obj({ name: keyword, pid: long }),
      file: obj({ hash: obj({ md5: keyword, sha1: keyword, sha256: keyword, sha512: keyword }) }),
      error: obj({ message: freeText(f) }),
    },
  };
}

/** What `logs@settings` gives, for clusters without it (its ILM policy aside: retention is the template's lifecycle). */
const LOGS_SETTINGS_FALLBACK: Mapping = {
  index: { codec: 'best_compression', mapping: { ignore_malformed: true, total_fields: { ignore_dynamic_beyond_limit: true } } },
};

/**
 * The mappings iochunt puts on top of the stack's: enrichments as `nested`
 * (as ECS and the indicator-match rules have them), URLs as `wildcard`,
 * indicator descriptions as `keyword`, the log formats' free-form objects as
 * `flattened`, Zeek's numbers by kind, and `iochunt.*`.
 */
function hitOverlay(f: ClusterFeatures): { properties: Record<string, Mapping>; dynamic_templates: Mapping[] } {
  return {
    dynamic_templates: [
      // Zeek columns typed by #types: intervals and doubles stay double even when a value is whole.
      { zeek_doubles: { path_match: ['zeek.*.duration', 'zeek.*.rtt', 'zeek.*.TTLs', 'zeek.*_time', 'zeek.*.interval'], mapping: { type: 'double' } } },
      { zeek_addresses: { path_match: ['zeek.*_h', 'zeek.*.tx_hosts', 'zeek.*.rx_hosts'], match_mapping_type: 'string', mapping: { type: 'ip', ignore_malformed: true } } },
    ],
    properties: {
      url: obj({ full: urlType(f), original: urlType(f) }),
      log: obj({ file: obj({ inode: keyword }), offset: long }),
      threat: obj({
        enrichments: {
          type: 'nested',
          properties: {
            indicator: indicatorObjectMappings(f),
            matched: obj({ atomic: keyword, field: keyword, id: keyword, index: keyword, type: keyword }),
            feed: obj({ name: keyword }),
            iochunt: indicatorExtras(f),
          },
        },
      }),
      aws: obj({
        cloudtrail: obj({
          flattened: obj({
            request_parameters: { type: 'flattened', ignore_above: 8191 },
            response_elements: { type: 'flattened', ignore_above: 8191 },
            additional_eventdata: { type: 'flattened', ignore_above: 8191 },
            service_event_details: { type: 'flattened', ignore_above: 8191 },
            insight_details: { type: 'flattened', ignore_above: 8191 },
          }),
        }),
      }),
      gcp: obj({ audit: obj({ request: { type: 'flattened', ignore_above: 8191 }, response: { type: 'flattened', ignore_above: 8191 } }) }),
      iochunt: obj({ dataset: keyword, match: obj({ kind: keyword }), json: { type: 'flattened', ignore_above: 8191 } }),
    },
  };
}

/** Merges mapping objects: `properties` recursively, dynamic templates concatenated (earlier first). */
function mergeMappings(...parts: Array<{ properties: Record<string, Mapping>; dynamic_templates: Mapping[] }>): Mapping {
  const merge = (a: Record<string, Mapping>, b: Record<string, Mapping>): Record<string, Mapping> => {
    const out: Record<string, Mapping> = { ...a };
    for (const [k, v] of Object.entries(b)) {
      const cur = out[k];
      if (cur && cur.properties && v.properties && !v.type) out[k] = { ...cur, ...v, properties: merge(cur.properties as Record<string, Mapping>, v.properties as Record<string, Mapping>) };
      else out[k] = v;
    }
    return out;
  };
  let properties: Record<string, Mapping> = {};
  const dynamic: Mapping[] = [];
  // Later parts win on properties; their dynamic templates come first (the first matching template applies).
  for (const p of parts) properties = merge(properties, p.properties);
  for (const p of [...parts].reverse()) dynamic.push(...p.dynamic_templates);
  return { dynamic: true, date_detection: false, numeric_detection: false, dynamic_templates: dynamic, properties };
}

/** The mappings of a hit document on a cluster with `features` (the stack's `ecs@mappings` then supplies the ECS part). */
export function hitMappings(features: ClusterFeatures = FULL_STACK): Mapping {
  return features.ecsMappings ? mergeMappings(hitOverlay(features)) : mergeMappings(ecsFallback(features), hitOverlay(features));
}

/** The mappings of an indicator document. */
export function indicatorDocMappings(features: ClusterFeatures = FULL_STACK): Mapping {
  const overlay = {
    dynamic_templates: [],
    properties: {
      threat: obj({ indicator: indicatorObjectMappings(features), feed: obj({ name: keyword }) }),
      iochunt: indicatorExtras(features),
    },
  };
  return features.ecsMappings ? mergeMappings(overlay) : mergeMappings(ecsFallback(features), overlay);
}

/** The stack's component templates a template is composed of, where the cluster has them. */
function composedOf(f: ClusterFeatures): string[] {
  return [...(f.logsMappings ? ['logs@mappings'] : []), ...(f.logsSettings ? ['logs@settings'] : []), ...(f.ecsMappings ? ['ecs@mappings'] : [])];
}

function templateOf(patterns: string[], priority: number, dataStream: boolean, mappings: Mapping, options: TemplateOptions, description: string): Record<string, unknown> {
  const f = options.features;
  const settings: Mapping = f.logsSettings ? {} : { ...LOGS_SETTINGS_FALLBACK };
  // logs@settings names the stack's ILM policy (`logs`), which then governs as for the built-in logs template;
  // with a retention, the data stream lifecycle below takes over from it.
  if (f.logsSettings && dataStream && options.retentionDays !== undefined) settings.index = { lifecycle: { prefer_ilm: false } };
  const lifecycle = options.retentionDays === undefined ? { enabled: true } : { enabled: true, data_retention: `${options.retentionDays}d` };
  return {
    index_patterns: patterns,
    priority,
    composed_of: composedOf(f),
    ...(dataStream ? { data_stream: {} } : {}),
    template: { settings, mappings, ...(dataStream ? { lifecycle } : {}) },
    _meta: { description, managed_by: 'iochunt' },
  };
}

/** The template body: a data stream template, or a plain index template when `dataStream` is false. */
export function templateBody(index: string, dataStream: boolean, options: TemplateOptions = { features: FULL_STACK }): Record<string, unknown> {
  // Above the built-in logs-*-* template (priority 100); a named target's own
  // template above iochunt's family template, which may match it too.
  return templateOf(templatePatterns(index), index === DEFAULT_ES_INDEX ? 250 : 260, dataStream, hitMappings(options.features), options, 'iochunt hit documents (ECS threat.enrichments)');
}

/** The name of the indicator template. */
export const INDICATOR_TEMPLATE = 'iochunt-indicators';

/** The indicator data stream template (`logs-ti_iochunt.indicators-*`). */
export function indicatorTemplateBody(options: TemplateOptions = { features: FULL_STACK }): Record<string, unknown> {
  return templateOf(['logs-ti_iochunt.indicators-*'], 250, true, indicatorDocMappings(options.features), options, 'iochunt indicator documents (ECS threat.indicator)');
}

/** Probes the cluster for {@link ClusterFeatures}; a probe that fails counts as "not there". */
export async function clusterFeatures(client: Client): Promise<ClusterFeatures> {
  const component = async (name: string): Promise<boolean> => {
    try {
      const r = (await client.transport.request({ method: 'GET', path: `/_component_template/${encodeURIComponent(name)}` }, { maxRetries: 0 })) as { component_templates?: Array<{ name: string }> };
      return r.component_templates?.some((c) => c.name === name) === true;
    } catch {
      return false;
    }
  };
  const wildcard = async (): Promise<boolean> => {
    try {
      const r = (await client.transport.request(
        { method: 'POST', path: '/_index_template/_simulate', body: { index_patterns: ['iochunt-probe-wildcard'], template: { mappings: { properties: { u: { type: 'wildcard' } } } } } },
        { maxRetries: 0 },
      )) as { template?: { mappings?: { properties?: Record<string, { type?: string }> } } };
      return r.template?.mappings?.properties?.u?.type === 'wildcard';
    } catch {
      return false;
    }
  };
  const [ecsMappings, logsMappings, logsSettings, hasWildcard] = await Promise.all([component('ecs@mappings'), component('logs@mappings'), component('logs@settings'), wildcard()]);
  return { ecsMappings, logsMappings, logsSettings, wildcard: hasWildcard };
}

/** What `es setup` did. */
export interface SetupResult {
  readonly name: string;
  readonly dataStream: boolean;
  readonly features: ClusterFeatures;
}

/**
 * Installs (or replaces) the template for `config.index`. A cluster that
 * refuses data stream templates (no data streams) gets a plain index template
 * for the same name instead.
 */
export async function installTemplate(client: Client, config: EsConfig, reporter: Reporter, retentionDays?: number): Promise<SetupResult> {
  const name = templateName(config.index);
  const options: TemplateOptions = { features: await clusterFeatures(client), ...(retentionDays !== undefined ? { retentionDays } : {}) };
  const put = async (dataStream: boolean): Promise<void> => {
    await client.transport.request({ method: 'PUT', path: `/_index_template/${encodeURIComponent(name)}`, body: templateBody(config.index, dataStream, options) }, { maxRetries: 0 });
  };
  try {
    await put(true);
    try {
      await client.transport.request({ method: 'PUT', path: `/_index_template/${INDICATOR_TEMPLATE}`, body: indicatorTemplateBody(options) }, { maxRetries: 0 });
    } catch (err) {
      throw setupError(err, INDICATOR_TEMPLATE, config);
    }
    return { name, dataStream: true, features: options.features };
  } catch (err) {
    if (err instanceof errors.ResponseError && err.statusCode === 400 && /data_stream/.test(JSON.stringify(err.body ?? ''))) {
      reporter.warn(redact(`the cluster has no data streams (${describeEsError(err)}); installing a plain index template instead`, config.secrets));
      try {
        await put(false);
        return { name, dataStream: false, features: options.features };
      } catch (err2) {
        throw setupError(err2, name, config);
      }
    }
    throw setupError(err, name, config);
  }
}

function setupError(err: unknown, name: string, config: EsConfig): ElasticsearchError {
  const status = err instanceof errors.ResponseError ? err.statusCode : undefined;
  return new ElasticsearchError(redact(`cannot install the index template ${name}: ${describeEsError(err)}`, config.secrets), status ?? undefined, { cause: err });
}

/**
 * Before a scan: says when the target has no iochunt template (addresses
 * would be mapped as keywords), and fails when `--es-pipeline` names a
 * pipeline the cluster does not have. Checks the user may not be allowed to
 * make (403) are skipped.
 */
export async function preflight(client: Client, config: EsConfig, reporter: Reporter): Promise<void> {
  try {
    await client.transport.request({ method: 'GET', path: `/_index_template/${encodeURIComponent(templateName(config.index))}` }, { maxRetries: 0 });
  } catch (err) {
    if (err instanceof errors.ResponseError && err.statusCode === 404) {
      reporter.warn(
        `Elasticsearch has no iochunt index template for ${config.index}: addresses and times would be mapped by guess; run "iochunt es setup" first`,
      );
    } else if (!(err instanceof errors.ResponseError && err.statusCode === 403)) {
      throw new ElasticsearchError(redact(`cannot check the index template: ${describeEsError(err)}`, config.secrets), err instanceof errors.ResponseError ? err.statusCode : undefined, { cause: err });
    }
  }
  if (config.pipeline === undefined) return;
  try {
    await client.transport.request({ method: 'GET', path: `/_ingest/pipeline/${encodeURIComponent(config.pipeline)}` }, { maxRetries: 0 });
  } catch (err) {
    if (err instanceof errors.ResponseError && err.statusCode === 404) {
      throw new ElasticsearchError(`the ingest pipeline ${JSON.stringify(config.pipeline)} does not exist in the cluster (--es-pipeline)`, 404, { cause: err });
    }
    if (!(err instanceof errors.ResponseError && err.statusCode === 403)) {
      throw new ElasticsearchError(redact(`cannot check the ingest pipeline: ${describeEsError(err)}`, config.secrets), err instanceof errors.ResponseError ? err.statusCode : undefined, { cause: err });
    }
  }
}
