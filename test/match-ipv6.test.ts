import { describe, expect, it } from 'vitest';
import { engineNames, matcher } from './helpers/engines.js';

describe.each(engineNames())('IPv6 matching (%s engine)', (engine) => {
  const m = matcher(engine, ['2001:db8::1', '10.9.8.7', 'fe80::1']);

  it.each([
    ['2001:db8::1', 'compressed'],
    ['2001:DB8::1', 'upper case'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', 'full form'],
    ['2001:db8:0:0:0:0:0:1', 'uncompressed'],
    ['2001:db8::0:1', 'partly compressed'],
    ['[2001:db8::1]:443', 'bracketed with port'],
    ['from 2001:db8::1 port 22', 'sshd style, unbracketed'],
    ['client 2001:db8::1#53421 (x)', 'BIND addr#port'],
    ['srcaddr=2001:db8::1,', 'before a comma'],
    ['peer 2001:db8::1.', 'at the end of a sentence'],
    ['host 2001:db8::1: message', 'followed by a colon'],
  ])('matches %j (%s)', (line) => {
    expect(m.names(line)).toContain('2001:db8::1');
  });

  it.each([
    ['2001:db8::11', 'longer last group'],
    ['2001:db8::1:2', 'more groups'],
    ['12001:db8::1', 'longer first group'],
    ['x2001:db8::1', 'letter before'],
    ['2001:db8::1g', 'letter after'],
    ['2001:db8::1::', 'two double colons'],
    ['std::2001:db8::1', 'inside a longer colon run'],
  ])('does not match %j (%s)', (line) => {
    expect(m.names(line)).not.toContain('2001:db8::1');
  });

  it('matches an IPv4-mapped IPv6 address against the IPv4 indicator', () => {
    expect(m.names('from ::ffff:10.9.8.7 port 1')).toEqual(['10.9.8.7']);
    expect(m.names('from ::FFFF:10.9.8.7 port 1')).toEqual(['10.9.8.7']);
    expect(m.names('from ::ffff:a09:807 port 1')).toEqual(['10.9.8.7']);
    expect(m.names('from ::ffff:10.9.8.77 port 1')).toEqual([]);
  });

  it('matches a zoned link-local address', () => {
    expect(m.names('ping fe80::1%eth0 ok')).toEqual(['fe80::1']);
  });

  it('does not take MAC addresses, times or fingerprints for addresses', () => {
    const all = matcher(engine, ['::', '0:11:22:33:44:55:66:77']);
    expect(all.names('mac 00:11:22:33:44:55 at 10:00:32 fp 39:33:99:e9:00:11:22:33:44:55:66:77:88:99:aa:bb')).toEqual([]);
  });
});
