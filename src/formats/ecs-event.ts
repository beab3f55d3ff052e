/**
 * `event.category` / `event.type` of each dataset, as Elastic's own
 * integrations set them for the same logs, kept to the pairs ECS allows
 * (every category has the types it expects: `web` → access, error, info;
 * `network` → connection, protocol, allowed, denied …). Applied to every
 * parsed event; a format that set its own (VPC flow `allowed`/`denied`)
 * keeps them, and a category whose types are all missing gets its default.
 */

interface Categorised {
  readonly category: readonly string[];
  readonly type: readonly string[];
}

/** Dataset (or its first part, `zeek`) → category and default type(s). */
const BY_DATASET: Readonly<Record<string, Categorised>> = {
  'apache.access': { category: ['web'], type: ['access'] },
  'apache.error': { category: ['web'], type: ['error'] },
  'system.auth': { category: ['authentication'], type: ['info'] },
  'aws.vpcflow': { category: ['network'], type: ['connection'] },
  'gcp.vpcflow': { category: ['network'], type: ['connection'] },
  'gcp.dns': { category: ['network'], type: ['protocol'] },
  'aws.route53_resolver_logs': { category: ['network'], type: ['protocol'] },
  'bind.query': { category: ['network'], type: ['protocol'] },
  'dnsmasq.log': { category: ['network'], type: ['protocol'] },
  'zeek.dns': { category: ['network'], type: ['connection', 'protocol', 'info'] },
  'zeek.conn': { category: ['network'], type: ['connection', 'info'] },
  'zeek.http': { category: ['network', 'web'], type: ['connection', 'protocol', 'access'] },
  'zeek.ssl': { category: ['network'], type: ['connection', 'protocol'] },
  'zeek.files': { category: ['file'], type: ['info'] },
  'zeek.intel': { category: ['intrusion_detection'], type: ['info'] },
  'zeek.notice': { category: ['intrusion_detection'], type: ['info'] },
};

/** The first type ECS expects with each category (for a category set without a matching type). */
const DEFAULT_TYPE: Readonly<Record<string, string>> = {
  authentication: 'info',
  configuration: 'info',
  file: 'info',
  iam: 'info',
  intrusion_detection: 'info',
  network: 'info',
  session: 'info',
  web: 'info',
  threat: 'indicator',
  process: 'info',
  host: 'info',
  api: 'info',
};

/** The types ECS allows with each category (ECS `event.category` expected_event_types). */
export const EXPECTED_TYPES: Readonly<Record<string, readonly string[]>> = {
  api: ['access', 'admin', 'allowed', 'change', 'creation', 'deletion', 'denied', 'end', 'info', 'start', 'user'],
  authentication: ['start', 'end', 'info'],
  configuration: ['access', 'change', 'creation', 'deletion', 'info'],
  file: ['access', 'change', 'creation', 'deletion', 'info'],
  host: ['access', 'change', 'end', 'info', 'start'],
  iam: ['admin', 'change', 'creation', 'deletion', 'group', 'info', 'user'],
  intrusion_detection: ['allowed', 'denied', 'info'],
  network: ['access', 'allowed', 'connection', 'denied', 'end', 'info', 'protocol', 'start'],
  process: ['access', 'change', 'end', 'info', 'start'],
  session: ['start', 'end', 'info'],
  threat: ['indicator'],
  web: ['access', 'error', 'info'],
};

/**
 * Sets `event.category` and `event.type` of a parsed event of `dataset`
 * (mutates `fields.event`): the dataset's own when the format set none, then
 * for every category without an allowed type its default type.
 */
export function categorise(dataset: string, fields: Record<string, unknown>): void {
  const known = BY_DATASET[dataset];
  const event = (fields.event ?? {}) as Record<string, unknown>;
  let category = Array.isArray(event.category) ? (event.category as string[]) : undefined;
  let type = Array.isArray(event.type) ? (event.type as string[]) : [];
  if (!category && known) category = [...known.category];
  if (!category) return;
  if (type.length === 0 && known) type = [...known.type];
  // apache.error: an error-level line is an error, any other one info.
  if (dataset === 'apache.error') {
    const level = (fields.log as Record<string, unknown> | undefined)?.level;
    if (typeof level === 'string' && !/^(error|crit|alert|emerg)$/.test(level)) type = ['info'];
  }
  for (const c of category) {
    const allowed = EXPECTED_TYPES[c];
    const fallback = DEFAULT_TYPE[c];
    if (allowed && fallback && !type.some((t) => allowed.includes(t))) type = [...type, fallback];
  }
  fields.event = { ...event, category, type: [...new Set(type)] };
}
