/**
 * Google Security Command Center Event Threat Detection custom modules of
 * type `CONFIGURABLE_BAD_IP` (`ips`: addresses or CIDR blocks) and
 * `CONFIGURABLE_BAD_DOMAIN` (`domains`), either the module's config file
 * (`{"metadata": {...}, "ips": [...]}`) or the whole module resource with
 * the config under `config`. `metadata.severity`, `description` and
 * `recommendation` are carried into every hit. `localhost` is refused as an
 * indicator (ETD refuses it too). A module config is small by design (ETD
 * caps it), and its `metadata` may follow its lists, so values are
 * collected before they are yielded.
 */
import type { RawEntry, SourceMeta } from '../types.js';
import type { BadRecord, FeedReader } from './feed-reader.js';
import { asObject, asText, jsonItems, type JsonPath } from './json-walk.js';

export const gcpEtdReader: FeedReader = {
  name: 'gcp-etd',
  position: 'entry',
  description: 'Google SCC Event Threat Detection custom module (CONFIGURABLE_BAD_IP / CONFIGURABLE_BAD_DOMAIN) JSON',
  sniff: (head) =>
    /CONFIGURABLE_BAD_(IP|DOMAIN)/.test(head) ||
    (/"metadata"\s*:\s*\{/.test(head) && /"(ips|domains)"\s*:\s*\[/.test(head) && /"recommendation"\s*:/.test(head)),
  async *read(chunks): AsyncGenerator<RawEntry | BadRecord> {
    const values: Array<{ value: string; kind: 'ips' | 'domains' }> = [];
    let metadata: Record<string, unknown> | undefined;
    let displayName: string | undefined;
    const inConfig = (p: JsonPath): JsonPath => (p[0] === 'config' ? p.slice(1) : p);
    const select = (p: JsonPath): boolean => {
      const q = inConfig(p);
      return (q.length === 1 && q[0] === 'metadata') || (q.length === 2 && (q[0] === 'ips' || q[0] === 'domains')) || (p.length === 1 && p[0] === 'displayName');
    };
    for await (const { path, value } of jsonItems(chunks, select)) {
      const q = inConfig(path);
      if (path[0] === 'displayName') displayName = asText(value);
      else if (q[0] === 'metadata') metadata = asObject(value);
      else values.push({ value: asText(value) ?? '', kind: q[0] as 'ips' | 'domains' });
    }
    const meta: Record<string, string | undefined> = {
      severity: asText(metadata?.severity),
      description: asText(metadata?.description),
      recommendation: asText(metadata?.recommendation),
      provider: displayName ? `Google SCC ETD custom module ${displayName}` : 'Google SCC ETD custom module',
    };
    for (const k of Object.keys(meta)) if (meta[k] === undefined) delete meta[k];
    for (let i = 0; i < values.length; i++) {
      const { value, kind } = values[i] as (typeof values)[number];
      if (value.toLowerCase().replace(/\.$/, '') === 'localhost') {
        yield { bad: true, line: i + 1, value, reason: 'localhost is refused as an indicator (as ETD does)' };
        continue;
      }
      yield { value, line: i + 1, declaredType: kind === 'ips' ? 'ip' : 'domain-name', ...(meta as SourceMeta) };
    }
  },
};
