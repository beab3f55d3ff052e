/**
 * Kafka records joined into line-aligned blocks (src/kafka/record-block.ts):
 * the layout, mapping byte offsets back to records, the hand-over of
 * complete records, odd records; and the `kafka:` section of the
 * configuration file.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RecordBlock, type KafkaRecordIn } from '../src/kafka/record-block.js';
import { loadTailConfig } from '../src/config/tail-config.js';
import { hitKey } from '../src/kafka/hits-producer.js';
import { validateKafkaOptions, redactKafka } from '../src/kafka/kafka-options.js';
import { parseByteSize, parseDuration } from '../src/options.js';
import { tmpDir } from './helpers/tmp.js';

const rec = (partition: number, offset: number, value: string | Buffer | null): KafkaRecordIn => ({
  partition,
  offset: BigInt(offset),
  timestamp: 1_700_000_000_000n + BigInt(offset),
  value: value === null ? null : typeof value === 'string' ? Buffer.from(value) : value,
});

describe('RecordBlock', () => {
  it('joins values with newlines; a value ending with a newline gets no second one; empty and null values are empty lines', () => {
    const b = RecordBlock.build('t', 1, [rec(0, 5, 'a b'), rec(1, 9, 'c\n'), rec(0, 6, ''), rec(1, 10, null), rec(0, 7, 'x\ny')]);
    expect(b.buf.toString()).toBe('a b\nc\n\n\nx\ny\n');
    expect(b.count).toBe(5);
    expect(b.issues.empty).toBe(2);
    expect(b.issues.invalidUtf8).toBe(0);
  });

  it('maps every byte back to its record and its offset inside the value (a multi-line record keeps its coordinates)', () => {
    const b = RecordBlock.build('logs', 1, [rec(0, 5, 'first'), rec(3, 42, 'l1\nl2'), rec(0, 6, 'z')]);
    expect(b.locate(0)).toMatchObject({ topic: 'logs', partition: 0, offset: 5n, inRecord: 0 });
    expect(b.locate(4)).toMatchObject({ partition: 0, offset: 5n, inRecord: 4 });
    expect(b.locate(6)).toMatchObject({ partition: 3, offset: 42n, inRecord: 0 });
    expect(b.locate(9)).toMatchObject({ partition: 3, offset: 42n, inRecord: 3 }); // "l2"
    expect(b.locate(12)).toMatchObject({ partition: 0, offset: 6n, inRecord: 0 });
    expect(b.locate(12).timestamp).toBe(1_700_000_000_006n);
  });

  it('hands over only records whose every byte lies before the end, once each, in order', () => {
    const b = RecordBlock.build('t', 1, [rec(0, 1, 'aaaa'), rec(1, 1, 'bb'), rec(0, 2, 'cccccc')]);
    const seen: string[] = [];
    const each = (p: number, o: bigint): void => void seen.push(`${p}@${o}`);
    b.handOver(4, each); // inside the first record's newline: not complete
    expect(seen).toEqual([]);
    b.handOver(5, each);
    expect(seen).toEqual(['0@1']);
    b.handOver(9, each);
    b.handOver(9, each);
    expect(seen).toEqual(['0@1', '1@1']);
    b.handOver(b.buf.length, each);
    expect(seen).toEqual(['0@1', '1@1', '0@2']);
  });

  it('counts invalid UTF-8 records and names the first ones, bytes unchanged', () => {
    const bad = Buffer.from([0x31, 0x30, 0x2e, 0xff, 0xfe]);
    const b = RecordBlock.build('t', 1, [rec(0, 1, 'ok'), rec(2, 77, bad), rec(0, 2, 'ok too')]);
    expect(b.issues.invalidUtf8).toBe(1);
    expect(b.issues.invalidAt).toEqual(['t/2@77']);
    expect(b.buf.subarray(3, 8).equals(bad)).toBe(true);
  });

  it('property: every record is found at its start, and the block is the values joined', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(5), fc.uint8Array({ maxLength: 40 })), { maxLength: 40 }), (items) => {
        const records = items.map(([p, v], i) => rec(p, i, Buffer.from(v)));
        const b = RecordBlock.build('t', 1, records);
        let at = 0;
        const expected: Buffer[] = [];
        records.forEach((r, i) => {
          let v = r.value as Buffer;
          if (v.length > 0 && v[v.length - 1] === 0x0a) v = v.subarray(0, -1);
          expected.push(v, Buffer.from('\n'));
          // Empty records share a start with nothing: skip those for locate.
          if (v.length > 0) expect(b.locate(at)).toMatchObject({ partition: r.partition, offset: BigInt(i), inRecord: 0 });
          at += v.length + 1;
        });
        expect(b.buf.equals(Buffer.concat(expected))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Kafka options and configuration', () => {
  const parsers = { duration: parseDuration, size: parseByteSize };

  it('no Kafka option: no Kafka input; defaults otherwise', () => {
    expect(validateKafkaOptions({}, {}, parsers)).toBeUndefined();
    const o = validateKafkaOptions({ kafkaBrokers: ['a:9092,b:9093'], kafkaTopic: ['t1', 't2'], kafkaGroup: 'g' }, {}, parsers);
    expect(o).toMatchObject({ brokers: ['a:9092', 'b:9093'], topics: ['t1', 't2'], group: 'g', from: 'latest', batchBytes: 1024 * 1024, sessionTimeoutMs: 30_000 });
  });

  it('SASL credentials come from the environment, and are redacted', () => {
    const o = validateKafkaOptions({ kafkaBrokers: 'a:1', kafkaTopic: 't', kafkaGroup: 'g', kafkaSasl: 'scram-sha-512' }, { IOCHUNT_KAFKA_USERNAME: 'u', IOCHUNT_KAFKA_PASSWORD: 'hunter22' }, parsers);
    expect(o?.sasl).toEqual({ mechanism: 'SCRAM-SHA-512', username: 'u', password: 'hunter22' });
    expect(redactKafka('auth hunter22 failed', o?.secrets ?? [])).toBe('auth [redacted] failed');
    expect(() => validateKafkaOptions({ kafkaBrokers: 'a:1', kafkaTopic: 't', kafkaGroup: 'g', kafkaTopicFormat: 'other=apache' }, {}, parsers)).toThrow(/not one of --kafka-topic/);
  });

  it('the kafka section of --config: topics with formats, tls, sasl; errors name the line and key', () => {
    const t = tmpDir();
    const ok = t.write(
      'ok.yaml',
      ['feeds: [feed.txt]', 'kafka:', '  brokers: [127.0.0.1:9092]', '  group: hunters', '  topics:', '    - web', '    - name: dns', '      format: dnsmasq', '  hits_topic: hits', '  tls:', '    insecure: true', '  sasl:', '    mechanism: PLAIN', '  linger: 250ms', '  from: latest', ''].join('\n'),
    );
    const c = loadTailConfig(ok);
    expect(c.options).toMatchObject({ kafkaBrokers: ['127.0.0.1:9092'], kafkaGroup: 'hunters', kafkaTopic: ['web', 'dns'], kafkaTopicFormat: ['dns=dnsmasq'], kafkaHitsTopic: 'hits', kafkaInsecure: true, kafkaSasl: 'PLAIN', from: 'latest' });
    // Beside live feed sources (the feeds-pull schema reads the same file).
    const live = t.write('live.yaml', `state_dir: ${t.path('sources')}\nfeeds:\n  - name: local\n    type: url\n    url: http://127.0.0.1:9/feed.txt\n    interval: 1h\nkafka:\n  brokers: 127.0.0.1:9092\n  group: g\n  topics: web\n`);
    expect(loadTailConfig(live).options).toMatchObject({ kafkaBrokers: ['127.0.0.1:9092'], kafkaTopic: ['web'] });
    const bad = t.write('bad.yaml', ['kafka:', '  brokers: [127.0.0.1:9092]', '  groupe: x', ''].join('\n'));
    expect(() => loadTailConfig(bad)).toThrow(/bad\.yaml:3: kafka\.groupe: unknown key/);
    const badSasl = t.write('sasl.yaml', ['kafka:', '  sasl:', '    mechanism: GSSAPI', ''].join('\n'));
    expect(() => loadTailConfig(badSasl)).toThrow(/sasl\.yaml:3: kafka\.sasl\.mechanism: expected one of PLAIN/);
  });

  it('hits are keyed by their source', () => {
    expect(hitKey({ kafka: { topic: 'web', partition: 4, offset: 9 } } as never)).toBe('web/4');
    expect(hitKey({ host: { name: 'h1' }, log: { file: { path: '/var/log/a' }, offset: 0 } } as never)).toBe('h1');
    expect(hitKey({ log: { file: { path: '/var/log/a' }, offset: 0 } } as never)).toBe('/var/log/a');
  });
});
