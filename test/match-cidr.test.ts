import { describe, expect, it } from 'vitest';
import { engineNames, matcher } from './helpers/engines.js';

describe.each(engineNames())('CIDR matching (%s engine)', (engine) => {
  const m = matcher(engine, ['10.0.0.0/8', '10.20.0.0/16', '192.168.1.128/25', '2001:db8::/32', '0.0.0.0/1', '2001:db8:aa::/48']);

  it('matches every address inside a block, with every covering block', () => {
    expect(m.names('a 10.20.30.40 b')).toEqual(['0.0.0.0/1', '10.0.0.0/8', '10.20.0.0/16']);
    expect(m.names('a 10.21.0.1 b')).toEqual(['0.0.0.0/1', '10.0.0.0/8']);
  });

  it('respects the prefix boundary exactly', () => {
    expect(m.names('192.168.1.128')).toEqual(['192.168.1.128/25']);
    expect(m.names('192.168.1.255')).toEqual(['192.168.1.128/25']);
    expect(m.names('192.168.1.127')).toEqual([]);
    expect(m.names('11.0.0.0')).toEqual(['0.0.0.0/1']);
    expect(m.names('128.0.0.0')).toEqual([]);
  });

  it('matches IPv6 addresses inside IPv6 blocks in any spelling', () => {
    expect(m.names('x 2001:DB8:ffff::9 y')).toEqual(['2001:db8::/32']);
    expect(m.names('x 2001:0db8:00aa:0000:0000:0000:0000:0001 y')).toEqual(['2001:db8::/32', '2001:db8:aa::/48']);
    expect(m.names('x 2001:db9::1 y')).toEqual([]);
  });

  it('names a block by its network address even when the feed set host bits', () => {
    const n = matcher(engine, ['172.16.5.4/12']);
    expect(n.names('172.31.255.255')).toEqual(['172.16.0.0/12']);
    expect(n.names('172.32.0.0')).toEqual([]);
  });

  it('still requires whole address tokens', () => {
    expect(m.names('110.20.30.40')).toEqual(['0.0.0.0/1']);
    expect(m.names('v10.20.30.40')).toEqual([]);
    expect(m.names('10.20.30.40.5')).toEqual([]);
  });
});
