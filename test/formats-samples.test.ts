/**
 * Every third-party sample log in fixtures/third-party (not ti-feeds) is detected as its
 * format and every line is parsed; known exceptions are listed with why.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { at, docsOf, parseSamples, sample, sampleLines } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';

const EXPECTED: Record<string, string> = {
  'beats/aws-vpcflow/accept-reject-traffic.log': 'aws.vpcflow',
  'beats/aws-vpcflow/custom-nat-gateway.log': 'aws.vpcflow',
  'beats/aws-vpcflow/ipv6.log': 'aws.vpcflow',
  'beats/aws-vpcflow/no-data-skip-data.log': 'aws.vpcflow',
  'beats/aws-vpcflow/tcp-flag-sequence-skip-data.log': 'aws.vpcflow',
  'beats/aws-vpcflow/tcp-flag-sequence.log': 'aws.vpcflow',
  'integrations/aws-vpcflow/test-extra-samples.log': 'aws.vpcflow',
  'integrations/aws-vpcflow/test-tgw-samples.log': 'aws.vpcflow',
  'integrations/aws-vpcflow/test-v5-all-fields.log': 'aws.vpcflow',
  'integrations/aws-vpcflow/test-v8-samples.log': 'aws.vpcflow',
  'loki/aws-vpcflow/vpcflowlog.log.gz': 'aws.vpcflow',
  'zeek/dns-tsv/core.ipv6-frag.dns.log': 'zeek.dns',
  'zeek/dns-tsv/dns.duplicate-reponses.dns.log': 'zeek.dns',
  'zeek/dns-tsv/dns.flip.dns.log': 'zeek.dns',
  'zeek/dns-tsv/dns.multiple-txt-strings.dns.log': 'zeek.dns',
  'zeek/dns-tsv/dns.zero-responses.dns.log': 'zeek.dns',
  'zeek/dns-tsv/opt.basic.dns.log': 'zeek.dns',
  'zeek/files-tsv/file-analysis.logging.files.log': 'zeek.files',
  'zeek/files-tsv/x509.files.log': 'zeek.files',
  'zeek/intel-log/input-and-match.intel.log': 'zeek.intel',
  'zeek/intel-log/seen.certs.intel-all.log': 'zeek.intel',
  'zeek/intel-log/seen.smtp.intel.log': 'zeek.intel',
  'zeek/intel-input/certs.intel.dat': 'zeek.log',
  'zeek/http-json/http-uri-sha256.http.log': 'zeek.http',
  'zeek/http-json/json-non-printable-escaping.http.log.json': 'zeek.http',
  'integrations/zeek-dns-json/test-dns.log': 'zeek.dns',
  'beats/aws-cloudtrail/assume-role-json.log': 'aws.cloudtrail',
  'beats/aws-cloudtrail/console-login-json.log': 'aws.cloudtrail',
  'beats/aws-cloudtrail/insight-json.log': 'aws.cloudtrail',
  'beats/aws-cloudtrail/cloudtrail-digest-json.log': 'aws.cloudtrail.digest',
  'beats/gcp-audit/audit-log-entries.json.log': 'gcp.audit',
  'beats/gcp-dns/dns-log-entries.json.log': 'gcp.dns',
  'beats/gcp-vpcflow/vpc-flow-log-entries.first6.json.log': 'gcp.vpcflow',
  'integrations/aws-route53-resolver/test-route53.log': 'aws.route53_resolver_logs',
  'beats/ti-otx/otx_sample.ndjson.log': 'json',
  'beats/ti-abusech-urlhaus/abusechurl.first10.ndjson.log': 'json',
};

describe('sample logs', () => {
  it('detects each sample and parses every line (headers excepted), dropping none', async () => {
    const files = Object.keys(EXPECTED);
    const r = await parseSamples(files);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of files) {
      const lines = sampleLines(f).filter((l) => !l.startsWith('#') && !/^version |^instance-id /.test(l));
      const docs = docsOf(r, f);
      expect(docs.length, f).toBe(lines.length);
      for (const d of docs) {
        expect(d.event.kind, d.event.original).toBe('event');
        const ds = d.event.dataset as string;
        // The Splunk export line at the end of the Zeek JSON sample is a wrapper, read as plain Zeek JSON.
        if (!(f.includes('zeek-dns-json') && d.event.original.includes('"_raw"'))) expect(ds, `${f}: ${d.event.original}`).toBe(EXPECTED[f]);
      }
    }
  });

  it('keeps the lines it cannot parse: a 17-field header-less VPC layout, prose', async () => {
    const files = ['beats/aws-vpcflow/custom-transit-gateway.log', 'beats/aws-vpcflow/bad.log'];
    const r = await parseSamples(files);
    expect(r.code).toBe(1);
    for (const f of files) expect(docsOf(r, f).length, f).toBe(sampleLines(f).length);
    expect(docsOf(r, files[0] as string)[0]?.event).toMatchObject({ kind: 'pipeline_error', dataset: 'aws.vpcflow' });
  });

  it('reads VPC flow layouts from headers, recurring headers and field counts', async () => {
    const r = await parseSamples([
      'beats/aws-vpcflow/tcp-flag-sequence.log',
      'beats/aws-vpcflow/custom-nat-gateway.log',
      'integrations/aws-vpcflow/test-v5-all-fields.log',
      'loki/aws-vpcflow/vpcflowlog.log.gz',
    ]);
    const [tcp] = docsOf(r, 'beats/aws-vpcflow/tcp-flag-sequence.log');
    expect(at(tcp, 'source.bytes')).toBeTypeOf('number');
    const nat = docsOf(r, 'beats/aws-vpcflow/custom-nat-gateway.log');
    expect(at(nat[0], 'aws.vpcflow.pkt_dstaddr')).toBe('203.0.113.5');
    expect(at(nat[0], 'destination.ip')).toBe('10.0.0.220');
    const [v5] = docsOf(r, 'integrations/aws-vpcflow/test-v5-all-fields.log');
    expect(at(v5, 'network.direction')).toBe('ingress');
    expect(at(v5, 'aws.vpcflow.pkt_src_aws_service')).toBe('AMAZON');
    const [loki] = docsOf(r, 'loki/aws-vpcflow/vpcflowlog.log.gz');
    expect(loki?.['@timestamp']).toBe('2022-11-30T21:11:41.000Z');
    expect([at(loki, 'destination.ip'), at(loki, 'destination.port'), at(loki, 'network.transport')]).toEqual(['3.239.232.29', 443, 'tcp']);
  });

  it('names DNS and cloud fields: Zeek, Route 53, GCP DNS, GCP audit, CloudTrail', async () => {
    const r = await parseSamples([
      'integrations/zeek-dns-json/test-dns.log',
      'integrations/aws-route53-resolver/test-route53.log',
      'beats/gcp-dns/dns-log-entries.json.log',
      'beats/gcp-audit/audit-log-entries.json.log',
      'beats/aws-cloudtrail/console-login-json.log',
    ]);
    const [z] = docsOf(r, 'integrations/zeek-dns-json/test-dns.log');
    expect(z?.['@timestamp']).toMatch(/^20\d\d-/);
    expect(at(z, 'source.ip')).toBeTruthy();
    const route = docsOf(r, 'integrations/aws-route53-resolver/test-route53.log');
    expect(route.every((d) => d['@timestamp'] && at(d, 'source.ip') && at(d, 'dns.question.name'))).toBe(true);
    expect(route.some((d) => (at(d, 'dns.answers') ?? []).length > 0)).toBe(true);
    const [g] = docsOf(r, 'beats/gcp-dns/dns-log-entries.json.log');
    expect(at(g, 'dns.answers.0.data') ?? at(g, 'dns.answers')[0].data).toBe('34.107.161.234');
    const audit = docsOf(r, 'beats/gcp-audit/audit-log-entries.json.log');
    expect(audit.some((d) => at(d, 'user.email'))).toBe(true);
    expect(audit.every((d) => d['@timestamp'])).toBe(true);
    const [login, failed] = docsOf(r, 'beats/aws-cloudtrail/console-login-json.log');
    expect(at(login, 'source.ip')).toBe('192.0.2.110');
    expect(at(login, 'event.action')).toBe('ConsoleLogin');
    expect(at(failed, 'event.outcome')).toBe('failure');
  });

  it('names hits in VPC flow, Zeek TSV and JSON lines end to end, with the event time', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', '3.239.232.29\n192.0.2.110\nbro.org\n');
    const r = await runCli([
      'scan',
      '--no-info',
      '--iocs',
      iocs,
      sample('loki/aws-vpcflow/vpcflowlog.log.gz'),
      sample('beats/aws-cloudtrail/console-login-json.log'),
      sample('zeek/http-json/http-uri-sha256.http.log'),
    ]);
    expect(r.code).toBe(0);
    const named = r.docs.map((d) => `${d.event.dataset} ${d.threat.enrichments.map((e: any) => e.matched.field).join(',')} ${d['@timestamp']}`);
    expect(named).toEqual([
      'aws.vpcflow destination.ip 2022-11-30T21:11:41.000Z',
      'aws.vpcflow source.ip 2022-11-30T21:11:41.000Z',
      'aws.cloudtrail source.ip 2014-07-16T15:49:27.000Z',
      // btest canonicalised the Zeek time away: the scan time stands in.
      `zeek.http url.domain ${r.docs[3]?.['@timestamp']}`,
    ]);
  });

  it('names a generic JSON hit by its field path', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', 'evil.example\n');
    const log = t.write('x.ndjson', '{"time":"2024-05-01T10:00:00+02:00","req":{"hosts":["a.example","www.evil.example"]},"note":"ok"}\n');
    const r = await runCli(['scan', '--no-info', '--iocs', iocs, log]);
    expect(r.docs[0]?.threat.enrichments[0].matched.field).toBe('req.hosts');
    expect(r.docs[0]?.['@timestamp']).toBe('2024-05-01T08:00:00.000Z');
    expect(r.docs[0]?.event.dataset).toBe('json');
  });
});
