import { describe, expect, it } from 'vitest';
import { engineNames, matcher } from './helpers/engines.js';

describe.each(engineNames())('IPv4 matching (%s engine)', (engine) => {
  const m = matcher(engine, ['10.1.2.3', '192.168.0.1', '0.0.0.1']);

  it.each([
    ['10.1.2.3', 'alone'],
    ['client 10.1.2.3 - -', 'between spaces'],
    ['src=10.1.2.3,dst=1.1.1.1', 'after = and before ,'],
    ['[10.1.2.3]:443', 'in brackets with port'],
    ['10.1.2.3:8080', 'with a port'],
    ['from 10.1.2.3.', 'at the end of a sentence'],
    ['"10.1.2.3"', 'quoted'],
    ['http://10.1.2.3/x', 'as a URL host'],
    ['client 10.1.2.3#53 query', 'BIND addr#port'],
    ['::ffff:10.1.2.3', 'inside an IPv4-mapped IPv6 address'],
    ['ip:10.1.2.3', 'after a colon'],
    ['10.1.2.3/24 announced', 'before a slash'],
    ['host-10.1.2.3', 'after a hyphen'],
  ])('matches %j (%s)', (line) => {
    expect(m.names(line)).toContain('10.1.2.3');
  });

  it.each([
    ['110.1.2.3', 'longer first octet'],
    ['10.1.2.34', 'longer last octet'],
    ['10.1.2.3.4', 'a fifth octet'],
    ['1.10.1.2.3', 'a leading octet'],
    ['10.1.2.3.in-addr.arpa', 'reverse-DNS name'],
    ['v10.1.2.3', 'letters before'],
    ['10.1.2.3abc', 'letters after'],
    ['10.1.2.3_x', 'underscore after'],
    ['010.001.002.003', 'zero-padded octets'],
    ['10.1.2', 'three octets'],
    ['10.1.2.300', 'octet above 255'],
    ['10.1.2.3000', 'four-digit octet'],
    ['Chrome/10.1.2.30', 'version string with different last octet'],
    ['10.1.2.4', 'neighbouring address'],
  ])('does not match %j (%s)', (line) => {
    expect(m.names(line)).not.toContain('10.1.2.3');
  });

  it('reports every indicator of a line and the text as written', () => {
    expect(m.found('a 10.1.2.3 b 192.168.0.1 c')).toEqual([
      { name: '10.1.2.3', atomic: '10.1.2.3' },
      { name: '192.168.0.1', atomic: '192.168.0.1' },
    ]);
  });

  it('matches a single-digit octet address exactly', () => {
    expect(m.names('ping 0.0.0.1 ok')).toEqual(['0.0.0.1']);
    expect(m.names('ping 10.0.0.1 ok')).toEqual([]);
  });

  it('finds addresses on every line of a buffer, not only the first', () => {
    const hits = m.engine.scan(Buffer.from('x\n10.1.2.3\ny\r\nz 10.1.2.3'));
    // [lineStart, tokenStart, tokenEnd, id] per hit
    expect(Array.from(hits)).toEqual([2, 2, 10, 0, 14, 16, 24, 0]);
  });
});
