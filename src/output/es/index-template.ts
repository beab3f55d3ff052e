/**
 * The index template of the hit documents (`iochunt es setup`): addresses as
 * `ip`, times as `date`, identifiers as `keyword`, `threat.enrichments` as
 * `nested` (as ECS and Elastic's indicator-match rules have it), free text as
 * `text`, and the generic JSON lines object as `flattened` so that the shapes
 * of unrelated JSON logs cannot conflict. Fields parsed from logs that the
 * template does not name are mapped dynamically, strings as keywords.
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
const keyword: Mapping = { type: 'keyword', ignore_above: 1024 };
const ip: Mapping = { type: 'ip', ignore_malformed: true };
const date: Mapping = { type: 'date', ignore_malformed: true };
const long: Mapping = { type: 'long', ignore_malformed: true };
const text: Mapping = { type: 'text' };
const obj = (properties: Record<string, Mapping>): Mapping => ({ properties });

const endpoint = (): Mapping => obj({ ip, address: keyword, domain: keyword, port: long, bytes: long, packets: long });

/** The mappings of a hit document. */
export function hitMappings(): Mapping {
  return {
    dynamic: true,
    date_detection: false,
    numeric_detection: false,
    dynamic_templates: [{ strings_as_keywords: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: 1024 } } }],
    properties: {
      '@timestamp': { type: 'date' },
      message: text,
      tags: keyword,
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
      log: obj({
        file: obj({ path: keyword, inode: keyword }),
        offset: long,
        level: keyword,
        logger: keyword,
      }),
      source: endpoint(),
      destination: endpoint(),
      client: endpoint(),
      server: endpoint(),
      host: obj({ hostname: keyword, name: keyword, ip }),
      related: obj({ ip, hosts: keyword, user: keyword, hash: keyword }),
      network: obj({ transport: keyword, type: keyword, direction: keyword, iana_number: keyword, name: keyword }),
      url: obj({ full: keyword, original: keyword, domain: keyword, path: keyword, query: keyword }),
      dns: obj({
        question: obj({ name: keyword, type: keyword, class: keyword }),
        answers: obj({ name: keyword, type: keyword, class: keyword, data: keyword, ttl: long }),
        response_code: keyword,
        type: keyword,
      }),
      http: obj({
        request: obj({ method: keyword, referrer: keyword }),
        response: obj({ status_code: long, body: obj({ bytes: long }) }),
        version: keyword,
      }),
      user: obj({ name: keyword, id: keyword, email: keyword }),
      user_agent: obj({ original: keyword }),
      process: obj({ name: keyword, pid: long }),
      file: obj({ hash: obj({ md5: keyword, sha1: keyword, sha256: keyword, sha512: keyword }) }),
      error: obj({ message: text }),
      json: { type: 'flattened', ignore_above: 1024 },
      threat: obj({
        enrichments: {
          type: 'nested',
          properties: {
            indicator: obj({
              name: keyword,
              type: keyword,
              ip,
              url: obj({ domain: keyword, full: keyword }),
              file: obj({ hash: obj({ md5: keyword, sha1: keyword, sha256: keyword, sha512: keyword }) }),
              email: obj({ address: keyword }),
              description: text,
              confidence: keyword,
              reference: keyword,
              provider: keyword,
              marking: obj({ tlp: keyword }),
              first_seen: date,
              last_seen: date,
              modified_at: date,
              severity: keyword,
              recommendation: text,
            }),
            matched: obj({ atomic: keyword, field: keyword, type: keyword }),
            feed: obj({ name: keyword }),
          },
        },
      }),
    },
  };
}

/** The template body: a data stream template, or a plain index template when `dataStream` is false. */
export function templateBody(index: string, dataStream: boolean): Record<string, unknown> {
  return {
    index_patterns: templatePatterns(index),
    // Above the built-in logs-*-* template (priority 100); a named target's own
    // template above iochunt's family template, which may match it too.
    priority: index === DEFAULT_ES_INDEX ? 250 : 260,
    ...(dataStream ? { data_stream: {} } : {}),
    template: { mappings: hitMappings() },
    _meta: { description: 'iochunt hit documents (ECS threat.enrichments)', managed_by: 'iochunt' },
  };
}

/** What `es setup` did. */
export interface SetupResult {
  readonly name: string;
  readonly dataStream: boolean;
}

/**
 * Installs (or replaces) the template for `config.index`. A cluster that
 * refuses data stream templates (no data streams) gets a plain index template
 * for the same name instead.
 */
export async function installTemplate(client: Client, config: EsConfig, reporter: Reporter): Promise<SetupResult> {
  const name = templateName(config.index);
  const put = async (dataStream: boolean): Promise<void> => {
    await client.transport.request({ method: 'PUT', path: `/_index_template/${encodeURIComponent(name)}`, body: templateBody(config.index, dataStream) }, { maxRetries: 0 });
  };
  try {
    await put(true);
    return { name, dataStream: true };
  } catch (err) {
    if (err instanceof errors.ResponseError && err.statusCode === 400 && /data_stream/.test(JSON.stringify(err.body ?? ''))) {
      reporter.warn(redact(`the cluster has no data streams (${describeEsError(err)}); installing a plain index template instead`, config.secrets));
      try {
        await put(false);
        return { name, dataStream: false };
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
