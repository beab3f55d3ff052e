/**
 * CloudTrail `{"Records":[…]}` files: detected, read record by record
 * (pretty-printed or one line, plain or gzip), one document per record, and
 * during scan one document per record that hit, at the record's offset.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { at, docsOf, parseSamples, sample } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';

const LOKI = 'loki/aws-cloudtrail/cloudtrail-log-file.json.gz';
const N = 6000;

function record(i: number): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', userName: `user-${i}`, arn: `arn:aws:iam::123456789012:user/user-${i}` },
    eventTime: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString().replace('.000', ''),
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'eu-west-1',
    sourceIPAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    userAgent: 'aws-cli/2.0',
    requestParameters: { bucketName: i % 1000 === 7 ? 'drop.evil-bucket.example' : `bucket-${i}`, tags: [{ k: 'a' }, { k: 'b' }] },
    responseElements: null,
    eventID: `ev-${String(i).padStart(6, '0')}`,
    recipientAccountId: '123456789012',
  };
}

const records = Array.from({ length: N }, (_, i) => record(i));
const pretty = JSON.stringify({ Records: records }, null, 4);
const compact = JSON.stringify({ Records: records });
/** Offset of record i's `{` in `text`, found by its eventID. */
const offsetOf = (text: string, i: number): number => {
  const id = text.indexOf(`"ev-${String(i).padStart(6, '0')}"`);
  return text.includes('\n') ? text.lastIndexOf('\n        {', id) + 9 : text.lastIndexOf('{"eventVersion"', id);
};
/** Records whose IP is listed besides `s3.amazonaws.com`, which every record holds (so records straddle block edges). */
const HIT = records.map((_, i) => i).filter((i) => i % 997 === 3);

describe('CloudTrail Records files', () => {
  it('parses the pretty-printed gzip sample: one document per record, at the record', async () => {
    const r = await parseSamples([LOKI]);
    expect(r.code).toBe(0);
    const docs = docsOf(r, LOKI);
    expect(docs.map((d) => [d.log.offset, d['@timestamp'], d.event.dataset, d.event.action])).toEqual([
      [27, '2023-05-19T07:44:30.000Z', 'aws.cloudtrail', 'AssumeRole'],
      [1542, '2023-05-19T07:44:34.000Z', 'aws.cloudtrail', 'BatchGetImage'],
    ]);
    expect(at(docs[0], 'source.address')).toBe('ec2.amazonaws.com');
    expect(at(docs[1], 'source.address')).toBe('AWS Internal');
    expect(JSON.parse(docs[0]?.event.original).eventName).toBe('AssumeRole');
  });

  it('names the field of a hit anywhere inside a pretty-printed record, one document per record', async () => {
    const t = tmpDir();
    const iocs = t.write('iocs.txt', 'ec2.amazonaws.com\n');
    const r = await runCli(['scan', '--no-info', '--iocs', iocs, sample(LOKI)]);
    expect(r.code).toBe(0);
    expect(r.docs).toHaveLength(1);
    const [d] = r.docs;
    expect(d?.log.offset).toBe(27);
    expect(d?.['@timestamp']).toBe('2023-05-19T07:44:30.000Z');
    expect(d?.threat.enrichments.map((e: any) => e.matched.field)).toEqual(['userIdentity.invokedBy', 'source.address', 'user_agent.original']);
    expect(JSON.parse(d?.event.original).eventID).toBe('94960c89-0827-44eb-9c4f-f979111461b8');
  });

  for (const [name, text, gzip] of [
    ['pretty-printed', pretty, false],
    ['pretty-printed gzip', pretty, true],
    ['one-line', compact, false],
    ['one-line gzip', compact, true],
  ] as const) {
    it(`reads a ${name} file of ${N} records (several MB), in scan and parse`, async () => {
      const t = tmpDir();
      const log = t.write(gzip ? 'ct.json.gz' : 'ct.json', gzip ? gzipSync(text) : text);
      const iocs = t.write('iocs.txt', `${HIT.map((i) => records[i]?.sourceIPAddress).join('\n')}\nevil-bucket.example\ns3.amazonaws.com\n`);
      const scan = await runCli(['scan', '--no-info', '--iocs', iocs, log]);
      expect(scan.stderr).toBe('');
      expect(scan.docs.map((d) => d.log.offset)).toEqual(records.map((_, i) => offsetOf(text, i)));
      for (const d of scan.docs) {
        expect(d.event.dataset).toBe('aws.cloudtrail');
        const rec = JSON.parse(d.event.original);
        expect(d['@timestamp']).toBe(new Date(rec.eventTime).toISOString());
        const i = Number(rec.eventID.slice(3));
        const fields = d.threat.enrichments.map((e: any) => e.matched.field).sort();
        const expected = ['event.provider'];
        if (HIT.includes(i)) expected.push('source.ip');
        if (i % 1000 === 7) expected.push('requestParameters.bucketName');
        expect(fields, rec.eventID).toEqual(expected.sort());
      }
      const parse = await runCli(['parse', '-q', log]);
      expect(parse.code).toBe(0);
      expect(parse.docs).toHaveLength(N);
      for (const i of [0, 1, 2500, N - 1]) {
        expect(parse.docs[i]?.log.offset).toBe(offsetOf(text, i));
        expect(at(parse.docs[i], 'user.name')).toBe(`user-${i}`);
      }
    });
  }

  it('keeps a hit outside every record (the wrapper) as an unparsed message', async () => {
    const t = tmpDir();
    const log = t.write('ct.json', JSON.stringify({ Records: [record(1)], note: 'see 192.0.2.77' }, null, 2));
    const iocs = t.write('iocs.txt', '192.0.2.77\n10.0.0.1\n');
    const r = await runCli(['scan', '--no-info', '--iocs', iocs, log]);
    expect(r.docs.map((d) => [d.event.dataset, d.threat.enrichments[0].matched.field])).toEqual([
      [undefined, 'message'],
      ['aws.cloudtrail', 'source.ip'],
    ]);
  });

  it('does not take other Records arrays, or other JSON, for CloudTrail', async () => {
    const t = tmpDir();
    const other = t.write('other.json', JSON.stringify({ Records: [{ eventName: 'x', ip: '10.0.0.1' }] }, null, 2));
    const lines = t.write('lines.json', `${JSON.stringify({ Records: 'no', eventVersion: '1', eventSource: 'x' })}\n`);
    const r = await runCli(['parse', '-q', other, lines]);
    const docs = r.docs;
    expect(docs.filter((d) => d.log.file.path === other).every((d) => d.event.dataset !== 'aws.cloudtrail')).toBe(true);
    // A record per line is still the line format, not a Records file.
    expect(docs.find((d) => d.log.file.path === lines)?.event.dataset).toBe('aws.cloudtrail');
  });

  it('reports a Records file that is not valid JSON as an input error', async () => {
    const t = tmpDir();
    const bad = t.write('bad.json', `${pretty.slice(0, 5000)} ]] garbage`);
    const r = await runCli(['parse', '-q', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json: not valid JSON near offset \d+/);
  });
});
