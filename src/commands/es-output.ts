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
import { installTemplate, preflight, templateName, templateBody } from '../output/es/index-template.js';

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

/** `iochunt es setup`: installs the index template; `print` only prints it. Returns the exit code. */
export async function runEsSetup(config: EsConfig, reporter: Reporter, print: boolean): Promise<number> {
  if (print) {
    writeStdout(`${JSON.stringify({ name: templateName(config.index), body: templateBody(config.index, true) }, null, 2)}\n`);
    return 0;
  }
  const client = createEsClient(config);
  try {
    await connect(client, config, reporter);
    const r = await installTemplate(client, config, reporter);
    reporter.info(
      `installed index template ${r.name} for ${config.index}` + (r.dataStream ? ' (a data stream)' : ' (a plain index: the cluster has no data streams)'),
    );
    return 0;
  } finally {
    await client.close();
  }
}
