/**
 * Cloud JSON logs: AWS CloudTrail (one record per line), AWS Route 53
 * Resolver query logs, GCP Cloud Audit, GCP Cloud DNS and GCP VPC flow logs
 * (Cloud Logging `LogEntry` lines).
 */
import { isIpAddress, stripDot, transportName } from './net.js';
import { jsonFamilyFormat, type JsonFamily } from './json-mapped.js';
import { getPath } from './json-spans.js';
import { fromIsoTime } from './time.js';
import type { LogFormat } from './types.js';

const ipOr = (ipField: string, other: string) => (v: unknown): string => (typeof v === 'string' && isIpAddress(v) ? ipField : other);
const iso = (v: unknown): string | undefined => (typeof v === 'string' ? fromIsoTime(v) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const cloudtrail: JsonFamily = {
  name: 'aws-cloudtrail',
  dataset: 'aws.cloudtrail',
  description: 'AWS CloudTrail records, one JSON object per line (also digest files)',
  is: (o) => ('eventVersion' in o && ('eventSource' in o || 'eventType' in o)) || 'digestS3Object' in o,
  fields: {
    sourceIPAddress: ipOr('source.ip', 'source.address'),
    userAgent: 'user_agent.original',
    eventName: 'event.action',
    eventSource: 'event.provider',
    awsRegion: 'cloud.region',
    recipientAccountId: 'cloud.account.id',
    'userIdentity.userName': 'user.name',
    'userIdentity.arn': 'user.id',
    'userIdentity.accessKeyId': 'aws.cloudtrail.user_identity.access_key_id',
    'userIdentity.type': 'aws.cloudtrail.user_identity.type',
    'userIdentity.invokedBy': 'aws.cloudtrail.user_identity.invoked_by',
    errorCode: 'aws.cloudtrail.error_code',
    errorMessage: 'aws.cloudtrail.error_message',
    eventID: 'event.id',
    'tlsDetails.clientProvidedHostHeader': 'url.domain',
  },
  objects: {
    requestParameters: 'aws.cloudtrail.flattened.request_parameters',
    responseElements: 'aws.cloudtrail.flattened.response_elements',
    additionalEventData: 'aws.cloudtrail.flattened.additional_eventdata',
    serviceEventDetails: 'aws.cloudtrail.flattened.service_event_details',
    insightDetails: 'aws.cloudtrail.flattened.insight_details',
  },
  extra: (o, b) => {
    b.timestamp = iso(o.eventTime) ?? iso(o.digestEndTime);
    if ('digestS3Object' in o) b.set('event.dataset', 'aws.cloudtrail.digest');
    if (o.errorCode) b.set('event.outcome', 'failure');
    else if (o.eventName) b.set('event.outcome', (getPath(o, 'responseElements.ConsoleLogin') as string | undefined) === 'Failure' ? 'failure' : 'success');
    // CloudTrail's own eventType (AwsApiCall …) is not an ECS event.type: Beats keeps it here.
    b.set('aws.cloudtrail.event_type', typeof o.eventType === 'string' ? o.eventType : undefined);
  },
};

const route53: JsonFamily = {
  name: 'aws-route53-resolver',
  dataset: 'aws.route53_resolver_logs',
  description: 'AWS Route 53 Resolver query logs (JSON lines)',
  is: (o) => 'query_name' in o && 'srcaddr' in o,
  fields: {
    srcaddr: 'source.ip',
    srcport: 'source.port',
    query_name: 'dns.question.name',
    query_type: 'dns.question.type',
    query_class: 'dns.question.class',
    rcode: 'dns.response_code',
    'answers.Rdata': 'dns.answers.data',
    transport: 'network.transport',
    account_id: 'cloud.account.id',
    region: 'cloud.region',
    vpc_id: 'network.name',
    'srcids.instance': 'cloud.instance.id',
    firewall_rule_action: 'event.action',
  },
  extra: (o, b) => {
    b.timestamp = iso(o.query_timestamp);
    const q = str(o.query_name);
    if (q) b.set('dns.question.name', stripDot(q));
    if (Array.isArray(o.answers)) {
      b.set('dns.answers', o.answers.map((a: Record<string, unknown>) => ({ data: stripDot(String(a.Rdata ?? '')), type: a.Type, class: a.Class })));
    }
    if (typeof o.transport === 'string') b.set('network.transport', o.transport.toLowerCase());
    b.set('source.port', typeof o.srcport === 'string' ? Number(o.srcport) : o.srcport);
  },
};

const gcpAudit: JsonFamily = {
  name: 'gcp-audit',
  dataset: 'gcp.audit',
  description: 'GCP Cloud Audit Logs (LogEntry with protoPayload AuditLog)',
  is: (o) => String(getPath(o, 'protoPayload.@type') ?? '').endsWith('google.cloud.audit.AuditLog') || String(o.logName ?? '').includes('cloudaudit.googleapis.com'),
  fields: {
    'protoPayload.requestMetadata.callerIp': ipOr('source.ip', 'source.address'),
    'protoPayload.requestMetadata.callerSuppliedUserAgent': 'user_agent.original',
    'protoPayload.authenticationInfo.principalEmail': (v) => (typeof v === 'string' && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v) ? 'user.email' : 'user.name'),
    'protoPayload.methodName': 'event.action',
    'protoPayload.serviceName': 'service.name',
    'protoPayload.resourceName': 'gcp.audit.resource_name',
    'resource.labels.project_id': 'cloud.project.id',
    insertId: 'event.id',
  },
  objects: { 'protoPayload.request': 'gcp.audit.request', 'protoPayload.response': 'gcp.audit.response' },
  extra: (o, b) => {
    b.timestamp = iso(o.timestamp);
    const code = getPath(o, 'protoPayload.status.code');
    b.set('event.outcome', typeof code === 'number' && code !== 0 ? 'failure' : 'success');
  },
};

const gcpDns: JsonFamily = {
  name: 'gcp-dns',
  dataset: 'gcp.dns',
  description: 'GCP Cloud DNS query logs (LogEntry with jsonPayload.queryName)',
  is: (o) => getPath(o, 'jsonPayload.queryName') !== undefined || String(o.logName ?? '').includes('dns_queries'),
  fields: {
    'jsonPayload.sourceIP': 'source.ip',
    'jsonPayload.queryName': 'dns.question.name',
    'jsonPayload.queryType': 'dns.question.type',
    'jsonPayload.responseCode': 'dns.response_code',
    'jsonPayload.rdata': 'dns.answers.data',
    'jsonPayload.destinationIP': 'destination.ip',
    'jsonPayload.protocol': 'network.transport',
    'jsonPayload.vmInstanceName': 'cloud.instance.name',
    'resource.labels.project_id': 'cloud.project.id',
  },
  extra: (o, b) => {
    b.timestamp = iso(o.timestamp);
    const q = str(getPath(o, 'jsonPayload.queryName'));
    if (q) b.set('dns.question.name', stripDot(q));
    const rdata = str(getPath(o, 'jsonPayload.rdata'));
    if (rdata) {
      // Zone-file text: records by newline, fields by tab; the data is the fifth field.
      const answers = rdata.split('\n').map((r) => r.split('\t')).filter((f) => f.length >= 5);
      b.set('dns.answers', answers.map((f) => ({ name: stripDot(f[0] ?? ''), ttl: Number(f[1]), class: f[2], type: f[3]?.toUpperCase(), data: stripDot(f.slice(4).join(' ')) })));
    }
    const proto = str(getPath(o, 'jsonPayload.protocol'));
    if (proto) b.set('network.transport', proto.toLowerCase());
  },
};

const gcpVpcflow: JsonFamily = {
  name: 'gcp-vpcflow',
  dataset: 'gcp.vpcflow',
  description: 'GCP VPC flow logs (LogEntry with jsonPayload.connection)',
  is: (o) => getPath(o, 'jsonPayload.connection.src_ip') !== undefined || String(o.logName ?? '').includes('vpc_flows'),
  fields: {
    'jsonPayload.connection.src_ip': 'source.ip',
    'jsonPayload.connection.dest_ip': 'destination.ip',
    'jsonPayload.connection.src_port': 'source.port',
    'jsonPayload.connection.dest_port': 'destination.port',
    'jsonPayload.reporter': 'gcp.vpcflow.reporter',
    'resource.labels.project_id': 'cloud.project.id',
  },
  extra: (o, b) => {
    b.timestamp = iso(getPath(o, 'jsonPayload.start_time')) ?? iso(o.timestamp);
    const proto = getPath(o, 'jsonPayload.connection.protocol');
    if (typeof proto === 'number') b.set('network.iana_number', String(proto)).set('network.transport', transportName(proto));
  },
};

/** The cloud JSON formats, most specific first. */
export const CLOUD_JSON_FORMATS: readonly LogFormat[] = [cloudtrail, route53, gcpAudit, gcpDns, gcpVpcflow].map(jsonFamilyFormat);
