/**
 * AWS VPC flow logs and Transit Gateway flow logs: space-separated fields,
 * `-` for "does not apply". The layout comes from a header line (S3
 * delivery; re-read whenever a header recurs), else from the field count:
 * 14 → the default v2 format, 29 → every v2–v5 field in table order,
 * 36 → the Transit Gateway default, 40 → v2–v5 plus v7 (ECS) and v8.
 */
import { UsageError } from '../errors.js';
import { EventBuilder } from './event-builder.js';
import { toInt, transportName } from './net.js';
import { fromEpochSeconds } from './time.js';
import type { LineParser, LogFormat } from './types.js';

const V2 = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'.split(' ');
const V3 = 'vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr'.split(' ');
const V4 = 'region az-id sublocation-type sublocation-id'.split(' ');
const V5 = 'pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path'.split(' ');
const V7 = 'ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id'.split(' ');
const TGW = (
  'version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id ' +
  'tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id ' +
  'tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end ' +
  'log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired ' +
  'tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service'
).split(' ');
const ALL_V5 = [...V2, ...V3, ...V4, ...V5];
const ALL_V8 = [...ALL_V5, ...V7, 'reject-reason'];
const KNOWN = new Set([...ALL_V8, ...TGW, 'resource-id', 'encryption-status']);

/**
 * Parses a `--vpcflow-fields` value: field names separated by commas or
 * spaces, optionally written as in an AWS format string (`${srcaddr}`).
 * Every name must be a known VPC or Transit Gateway flow log field, and
 * appear once; throws {@link UsageError} naming the first offending field.
 */
export function parseVpcflowFields(option: string, value: string): string[] {
  const names = value
    .split(/[\s,]+/)
    .map((n) => n.replace(/^\$\{(.*)\}$/, '$1'))
    .filter((n) => n !== '');
  if (names.length < 2) throw new UsageError(`Expected at least two VPC flow log field names for ${option} but received ${JSON.stringify(value)}`);
  const seen = new Set<string>();
  for (const n of names) {
    if (!KNOWN.has(n)) {
      const bare = n.toLowerCase().replace(/[-_]/g, '');
      const hint = [...KNOWN].find((k) => k.replace(/-/g, '') === bare);
      throw new UsageError(`Unknown VPC flow log field ${JSON.stringify(n)} in ${option}` + (hint ? ` (did you mean ${hint}?)` : '') + `; known fields: ${[...KNOWN].join(', ')}`);
    }
    if (seen.has(n)) throw new UsageError(`VPC flow log field ${JSON.stringify(n)} appears twice in ${option}`);
    seen.add(n);
  }
  return names;
}

const BY_COUNT: ReadonlyMap<number, readonly string[]> = new Map([
  [V2.length, V2],
  [ALL_V5.length, ALL_V5],
  [TGW.length, TGW],
  [ALL_V8.length, ALL_V8],
]);

/** ECS destinations of the fields that have one; the others go to `aws.vpcflow.<name_with_underscores>`. */
const ECS: Readonly<Record<string, string>> = {
  srcaddr: 'source.ip',
  dstaddr: 'destination.ip',
  srcport: 'source.port',
  dstport: 'destination.port',
  packets: 'source.packets',
  bytes: 'source.bytes',
  'account-id': 'cloud.account.id',
  'instance-id': 'cloud.instance.id',
  region: 'cloud.region',
  'flow-direction': 'network.direction',
  'pkt-srcaddr': 'aws.vpcflow.pkt_srcaddr',
  'pkt-dstaddr': 'aws.vpcflow.pkt_dstaddr',
};
const NUMERIC = new Set(['srcport', 'dstport', 'packets', 'bytes', 'protocol', 'start', 'end', 'tcp-flags']);

const isHeaderLine = (line: string): boolean => {
  const t = line.trim().split(/\s+/);
  return t.length >= 2 && t.every((x) => /^[a-z][a-z0-9-]*$/.test(x)) && t.filter((x) => KNOWN.has(x)).length >= 2;
};
const isDataLine = (line: string): boolean => {
  const t = line.trim().split(' ');
  return (
    t.length >= 10 &&
    t.some((x) => /^(eni|tgw)-[0-9a-z]/.test(x) || /^\d{12}$/.test(x)) &&
    t.some((x) => /^(ACCEPT|REJECT|OK|NODATA|SKIPDATA)$/.test(x))
  );
};

function parseRecord(line: string, layout: readonly string[] | undefined): ReturnType<EventBuilder['build']> | undefined {
  const values = line.split(' ');
  const fields = layout ?? BY_COUNT.get(values.length);
  if (!fields || fields.length !== values.length) return undefined;
  const b = new EventBuilder();
  let pos = 0;
  let protocol: number | undefined;
  values.forEach((v, i) => {
    const name = fields[i] as string;
    const start = pos;
    pos += v.length + 1;
    if (v === '-' || v === '') return;
    const value = NUMERIC.has(name) ? (toInt(v) ?? v) : v;
    switch (name) {
      case 'protocol':
        protocol = toInt(v);
        b.set('network.iana_number', v).set('network.transport', transportName(protocol));
        return;
      case 'start':
        b.set('event.start', fromEpochSeconds(v));
        b.timestamp = fromEpochSeconds(v);
        return;
      case 'end':
        b.set('event.end', fromEpochSeconds(v));
        return;
      case 'action':
        b.set('event.action', v.toLowerCase()).set('event.outcome', v === 'ACCEPT' ? 'success' : 'failure');
        b.set('event.type', ['connection', v === 'ACCEPT' ? 'allowed' : 'denied']);
        return;
      case 'type':
        b.set('network.type', v.toLowerCase());
        return;
    }
    const path = ECS[name] ?? `aws.vpcflow.${name.replace(/-/g, '_')}`;
    b.setAt(path, value, start, start + v.length);
  });
  b.set('event.category', ['network']).set('event.kind', 'event');
  return b.build();
}

/** The `aws-vpcflow` format. */
export const vpcflowFormat: LogFormat = {
  name: 'aws-vpcflow',
  dataset: 'aws.vpcflow',
  description: 'AWS VPC / Transit Gateway flow logs (v2 default, header-defined custom layouts, v3-v8 fields)',
  detect: (lines) => {
    const first = lines.slice(0, 10);
    if (first[0] !== undefined && isHeaderLine(first[0])) return true;
    return first.length > 0 && first.every((l) => isHeaderLine(l) || isDataLine(l));
  },
  open: (head, context): LineParser => {
    const header = head.find(isHeaderLine);
    // A header in the input wins over --vpcflow-fields, which stands in for a missing one.
    let layout: readonly string[] | undefined = context.vpcflowFields;
    return {
      ...(header ? { headerPrefix: `${header.trim().split(/\s+/)[0]} ` } : {}),
      header(line) {
        if (!isHeaderLine(line)) return false;
        layout = line.trim().split(/\s+/);
        return true;
      },
      parse: (line) => parseRecord(line, layout?.length === line.split(' ').length ? layout : undefined),
    };
  },
};
