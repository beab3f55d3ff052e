/**
 * The known log formats, in detection order: the most specific signatures
 * first (headers, JSON shapes), the generic ones last.
 */
import { apacheFormat } from './apache.js';
import { apacheErrorFormat } from './apache-error.js';
import { CLOUD_JSON_FORMATS } from './cloud-json.js';
import { jsonLinesFormat } from './json-lines.js';
import { vpcflowFormat } from './vpcflow.js';
import { zeekFormat, zeekJsonFormat } from './zeek.js';
import { bindFormat, dnsmasqFormat, syslogFormat } from './syslog.js';
import type { LogFormat } from './types.js';

/** Every format, in the order detection tries them. */
export const FORMATS: readonly LogFormat[] = [
  zeekFormat,
  zeekJsonFormat,
  ...CLOUD_JSON_FORMATS,
  jsonLinesFormat,
  vpcflowFormat,
  apacheFormat,
  apacheErrorFormat,
  bindFormat,
  dnsmasqFormat,
  syslogFormat,
];

/** Names accepted by `--format`. */
export function formatNames(): string[] {
  return FORMATS.map((f) => f.name);
}

/** The format called `name`, or undefined. */
export function formatByName(name: string): LogFormat | undefined {
  return FORMATS.find((f) => f.name === name);
}
