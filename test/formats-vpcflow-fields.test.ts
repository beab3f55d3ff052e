/**
 * `--vpcflow-fields`: a VPC / Transit Gateway flow field order for files
 * without a header, validated before anything is read.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { at, docsOf, parseSamples, sample, sampleLines } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';

const CUSTOM = 'beats/aws-vpcflow/custom-transit-gateway.log';
/** The 17-field v3 layout of the Beats sample (see fixtures/third-party/SOURCES.md). */
const CUSTOM_FIELDS = 'version,interface-id,account-id,vpc-id,subnet-id,instance-id,srcaddr,dstaddr,srcport,dstport,protocol,tcp-flags,type,pkt-srcaddr,pkt-dstaddr,action,log-status';
const TGW = 'integrations/aws-vpcflow/test-tgw-samples.log';
const TGW_DEFAULT = (
  'version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id ' +
  'tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id ' +
  'tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end ' +
  'log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired ' +
  'tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service'
).split(' ');

describe('--vpcflow-fields', () => {
  it('parses the header-less 17-field Beats sample given its layout', async () => {
    const r = await parseSamples([CUSTOM], ['--vpcflow-fields', CUSTOM_FIELDS]);
    expect(r.code).toBe(0);
    const [d] = docsOf(r, CUSTOM);
    expect(d?.event).toMatchObject({ kind: 'event', dataset: 'aws.vpcflow', action: 'accept' });
    expect([at(d, 'source.ip'), at(d, 'destination.ip'), at(d, 'destination.port'), at(d, 'network.transport')]).toEqual(['10.20.33.164', '10.40.2.236', 80, 'tcp']);
    expect([at(d, 'cloud.account.id'), at(d, 'aws.vpcflow.interface_id'), at(d, 'aws.vpcflow.tcp_flags')]).toEqual(['123456789010', 'eni-33333333333333333', 3]);
  });

  it('accepts the AWS format-string spelling and names hits in scan', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', '10.40.2.236\n');
    const fields = CUSTOM_FIELDS.split(',').map((f) => `\${${f}}`).join(' ');
    const r = await runCli(['scan', '--no-info', '--iocs', iocs, '--vpcflow-fields', fields, sample(CUSTOM)]);
    expect(r.code).toBe(0);
    expect(r.docs.map((d) => [d.event.dataset, ...d.threat.enrichments.map((e: any) => e.matched.field)])).toEqual([
      ['aws.vpcflow', 'destination.ip', 'aws.vpcflow.pkt_dstaddr'],
    ]);
  });

  it('reads a header-less Transit Gateway file in a custom order', async () => {
    // The TGW sample's records, re-cut to a 13-field custom order with no header.
    const order = ['tgw-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'log-status', 'tgw-attachment-id', 'account-id'];
    const rows = sampleLines(TGW).map((l) => {
      const v = l.split(' ');
      return order.map((f) => v[TGW_DEFAULT.indexOf(f)]).join(' ');
    });
    const t = tmpDir();
    const log = t.write('tgw-custom.log', `${rows.join('\n')}\n`);
    const without = await runCli(['parse', '-q', log]);
    expect(without.code).toBe(1); // 13 fields: no default layout has that count
    const r = await runCli(['parse', '-q', '--vpcflow-fields', order.join(','), log]);
    expect(r.code).toBe(0);
    expect(r.docs).toHaveLength(rows.length);
    const [first] = r.docs;
    expect([at(first, 'source.ip'), at(first, 'destination.ip'), at(first, 'destination.port'), first?.['@timestamp']]).toEqual([
      '1.128.0.0',
      '2a02:cf40::',
      22,
      '2025-08-19T08:35:33.000Z',
    ]);
    expect(at(first, 'aws.vpcflow.tgw_id')).toBe('tgw-0a12bc34de56f7890');
  });

  it('lets a header in the input win over --vpcflow-fields', async () => {
    const f = 'beats/aws-vpcflow/tcp-flag-sequence.log';
    const r = await parseSamples([f], ['--vpcflow-fields', CUSTOM_FIELDS]);
    expect(r.code).toBe(0);
    expect(docsOf(r, f).every((d) => typeof at(d, 'source.bytes') === 'number')).toBe(true);
  });

  it('rejects unknown, repeated and too few fields with a message naming them', async () => {
    const cases: Array<[string, RegExp]> = [
      ['version,srcadr,dstaddr', /Unknown VPC flow log field "srcadr" in --vpcflow-fields; known fields: version, account-id/],
      ['version,src_addr', /Unknown VPC flow log field "src_addr" in --vpcflow-fields \(did you mean srcaddr\?\)/],
      ['srcaddr,dstaddr,srcaddr', /VPC flow log field "srcaddr" appears twice in --vpcflow-fields/],
      ['srcaddr', /Expected at least two VPC flow log field names for --vpcflow-fields but received "srcaddr"/],
    ];
    for (const [value, message] of cases) {
      for (const cmd of ['parse', 'scan']) {
        const r = await runCli([cmd, '--iocs', sample(CUSTOM), '--vpcflow-fields', value, sample(CUSTOM)].filter((a, i) => cmd === 'scan' || (i !== 1 && i !== 2)));
        expect(r.code, `${cmd} ${value}`).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stdout).toBe('');
      }
    }
  });
});
