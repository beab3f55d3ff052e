/**
 * `scan --es`: the Elasticsearch sink of a scan, and `iochunt es setup`.
 */
import { writeStdout } from '../output/stdout.js';
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { IochuntError } from '../errors.js';
import type { Client } from '@elastic/elasticsearch';
import type { Reporter } from '../report.js';
import { DeadLetterFile } from '../output/es/dead-letter.js';
import { connect, createEsClient } from '../output/es/es-client.js';
import { DEFAULT_DEAD_LETTER, type EsConfig } from '../output/es/es-config.js';
import { ElasticsearchSink } from '../output/es/es-sink.js';
import { FULL_STACK, INDICATOR_TEMPLATE, indicatorTemplateBody, installTemplate, preflight, templateName, templateBody } from '../output/es/index-template.js';
import { pushIndicators } from '../output/es/indicator-push.js';
import { indicatorDocumentSet } from '../output/indicator-document.js';
import { loadFeeds } from '../indicators/load.js';

export { DEFAULT_DEAD_LETTER };

/** An Elasticsearch sink ready to take hits, with its client. */
export interface EsOutput {
  readonly sink: ElasticsearchSink;
  readonly client: Client;
  readonly deadLetter: DeadLetterFile;
  /** The end-of-run line: indexed, duplicates, retried, dead-lettered. */
  summary(): string;
}

/**
 * Connects (waiting up to `--es-wait`), checks the template and pipeline, and
 * returns the sink. Throws {@link ElasticsearchError} when the cluster cannot
 * be reached or refuses the credentials: nothing is scanned then.
 */
export async function openEsOutput(config: EsConfig, deadLetterPath: string | undefined, reporter: Reporter): Promise<EsOutput> {
  const deadLetterFile = resolve(deadLetterPath ?? DEFAULT_DEAD_LETTER);
  // Refused hits must have somewhere to go: checked before anything is scanned.
  try {
    accessSync(existsSync(deadLetterFile) ? deadLetterFile : dirname(deadLetterFile), constants.W_OK);
  } catch (err) {
    throw new IochuntError('E_OUTPUT', `the dead-letter file ${deadLetterFile} cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'}); name another with --es-dead-letter`, { cause: err });
  }
  const client = createEsClient(config);
  try {
    if (config.insecure) reporter.warn('--es-insecure: the TLS certificate of Elasticsearch is not verified');
    await connect(client, config, reporter);
    await preflight(client, config, reporter);
  } catch (err) {
    await client.close();
    throw err;
  }
  const deadLetter = new DeadLetterFile(deadLetterFile);
  const sink = new ElasticsearchSink(client, config, deadLetter, reporter);
  return {
    sink,
    client,
    deadLetter,
    summary: () => {
      const s = sink.stats;
      return (
        `elasticsearch ${config.index}: ${s.indexed} indexed, ${s.duplicates} already there (duplicates), ` +
        `${s.retried} retried, ${s.deadLettered} dead-lettered` +
        (s.deadLettered > 0 ? ` (in ${deadLetter.path})` : '') +
        (s.lost > 0 ? `, ${s.lost} lost (the dead-letter file could not be written)` : '') +
        `; ${s.requests} bulk request(s)`
      );
    },
  };
}

/**
 * `iochunt es setup`: installs the index templates (hits, indicators);
 * `print` only prints them (as for a full Elastic stack). `retentionDays`
 * sets the data stream lifecycle's retention. Returns the exit code.
 */
export async function runEsSetup(config: EsConfig, reporter: Reporter, print: boolean, retentionDays?: number): Promise<number> {
  const options = { features: FULL_STACK, ...(retentionDays !== undefined ? { retentionDays } : {}) };
  if (print) {
    const templates = [
      { name: templateName(config.index), body: templateBody(config.index, true, options) },
      { name: INDICATOR_TEMPLATE, body: indicatorTemplateBody(options) },
    ];
    writeStdout(`${JSON.stringify(templates, null, 2)}\n`);
    return 0;
  }
  const client = createEsClient(config);
  try {
    await connect(client, config, reporter);
    const r = await installTemplate(client, config, reporter, retentionDays);
    const f = r.features;
    const stack = f.ecsMappings && f.logsSettings ? 'composed of the stack\'s ecs@mappings and logs@settings' : "with iochunt's own ECS mappings and logs settings (the cluster has no ecs@mappings/logs@settings)";
    reporter.info(
      `installed index template ${r.name} for ${config.index}` +
        (r.dataStream ? ' (a data stream)' : ' (a plain index: the cluster has no data streams)') +
        (r.dataStream ? ` and ${INDICATOR_TEMPLATE} for logs-ti_iochunt.indicators-*` : '') +
        `, ${stack}` +
        (f.wildcard ? '' : '; URLs as long keywords (the cluster has no wildcard field type)') +
        (retentionDays !== undefined ? `; data kept ${retentionDays} day(s)` : ''),
    );
    return 0;
  } finally {
    await client.close();
  }
}

/** Options of `iochunt es indicators push`. */
export interface IndicatorsPushOptions {
  readonly iocs: readonly string[];
  readonly feedNames?: ReadonlyMap<string, string>;
  readonly iocsFormat?: string;
  readonly mispAll?: boolean;
  /** The indicator data stream (default `logs-ti_iochunt.indicators-default`). */
  readonly target: string;
}

/**
 * `iochunt es indicators push`: loads the feeds and makes the indicator data
 * stream hold exactly their indicator documents. Returns the exit code.
 */
export async function runIndicatorsPush(config: EsConfig, options: IndicatorsPushOptions, reporter: Reporter): Promise<number> {
  const loaded = await loadFeeds(options.iocs, {
    reporter,
    ...(options.iocsFormat ? { format: options.iocsFormat } : {}),
    ...(options.mispAll ? { mispAll: true } : {}),
  });
  const docs = indicatorDocumentSet(loaded.store, { ...(options.feedNames ? { feedNames: options.feedNames } : {}), timestamp: new Date().toISOString() });
  const client = createEsClient(config);
  try {
    await connect(client, config, reporter);
    const r = await pushIndicators(client, options.target, docs);
    reporter.info(`${options.target}: ${loaded.store.size} indicator(s), ${docs.ids.length} document(s): ${r.created} created, ${r.unchanged} unchanged, ${r.removed} removed (no longer in the feeds)`);
    return 0;
  } finally {
    await client.close();
  }
}
