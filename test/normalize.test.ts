import { describe, expect, it } from 'vitest';
import { normalizeIndicator } from '../src/indicators/normalize.js';

function ok(raw: string, declared?: Parameters<typeof normalizeIndicator>[1]) {
  const r = normalizeIndicator(raw, declared);
  if (!r.ok) throw new Error(`${raw}: ${r.reason}`);
  return r.indicator;
}
function reason(raw: string, declared?: Parameters<typeof normalizeIndicator>[1]) {
  const r = normalizeIndicator(raw, declared);
  if (r.ok) throw new Error(`${raw} was accepted as ${r.indicator.type} ${r.indicator.name}`);
  return r.reason;
}

describe('indicator normalisation', () => {
  it('infers the type and names the indicator canonically', () => {
    expect(ok('10.1.2.3')).toMatchObject({ type: 'ipv4-addr', name: '10.1.2.3' });
    expect(ok('10.1.2.3/8')).toMatchObject({ type: 'ipv4-addr', name: '10.0.0.0/8' });
    expect(ok('2001:0DB8:0000::0001')).toMatchObject({ type: 'ipv6-addr', name: '2001:db8::1' });
    expect(ok('[2001:db8::1]')).toMatchObject({ type: 'ipv6-addr', name: '2001:db8::1' });
    expect(ok('2001:db8::1/32')).toMatchObject({ type: 'ipv6-addr', name: '2001:db8::/32' });
    expect(ok('::ffff:10.1.2.3')).toMatchObject({ type: 'ipv4-addr', name: '10.1.2.3' });
    expect(ok('fe80::1%eth0')).toMatchObject({ type: 'ipv6-addr', name: 'fe80::1' });
    expect(ok('CDN.Evil.Example.')).toMatchObject({ type: 'domain-name', name: 'cdn.evil.example' });
    expect(ok('*.evil.example')).toMatchObject({ type: 'domain-name', name: 'evil.example' });
    expect(ok('Bücher.example')).toMatchObject({ type: 'domain-name', name: 'xn--bcher-kva.example', keys: ['xn--bcher-kva.example', 'bücher.example'] });
    expect(ok('D41D8CD98F00B204E9800998ECF8427E')).toMatchObject({ type: 'file', name: 'd41d8cd98f00b204e9800998ecf8427e', algorithm: 'md5' });
    expect(ok('HTTP://Evil.Example:80/A?b#c')).toMatchObject({ type: 'url', name: 'http://evil.example/A?b' });
    expect(ok('https://evil.example')).toMatchObject({ type: 'url', name: 'https://evil.example/' });
    expect(ok('evil.example/path')).toMatchObject({ type: 'url', name: 'evil.example/path', url: { schemeless: true } });
    expect(ok('Bob@Evil.Example')).toMatchObject({ type: 'email-addr', name: 'bob@evil.example' });
    expect(ok('hxxp://evil[.]example/x')).toMatchObject({ type: 'url', name: 'http://evil.example/x' });
  });

  it('honours a declared type and rejects a value that contradicts it', () => {
    expect(ok('10.1.2.3', 'ip')).toMatchObject({ type: 'ipv4-addr' });
    expect(ok('evil.example', 'domain-or-ip')).toMatchObject({ type: 'domain-name' });
    expect(ok('10.1.2.3', 'domain-or-ip')).toMatchObject({ type: 'ipv4-addr' });
    expect(reason('10.1.2.3', 'ipv6-addr')).toMatch(/declared IPv6/);
    expect(reason('d41d8cd98f00b204e9800998ecf8427e', 'sha256')).toMatch(/declared sha256/);
    expect(reason('10.0.0.1', 'cidr')).toMatch(/no prefix/);
  });

  it.each([
    ['', /empty/],
    ['localhost', /two labels/],
    ['10.1.2', /not an IP/],
    ['010.1.2.3', /not an IP/],
    ['10.1.2.3/33', /longer than 32/],
    ['evil..example', /empty label/],
    ['bad_host!.example', /invalid label/],
    ['example.123', /numeric/],
    ['abc def', /white space/],
    ['http://', /without a host/],
    ['@evil.example', /local part/],
    ['deadbeef', /two labels/],
    ['http://evil.example/a"b', /ends a URL/],
  ])('rejects %j', (raw, why) => {
    expect(reason(raw)).toMatch(why);
  });
});
