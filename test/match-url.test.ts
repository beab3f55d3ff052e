import { describe, expect, it } from 'vitest';
import { engineNames, matcher } from './helpers/engines.js';

describe.each(engineNames())('URL matching (%s engine)', (engine) => {
  const m = matcher(engine, ['http://evil.example/gate.php', 'hxxps://bad[.]example/dl/a.exe', 'evil.example/zeek/path', 'http://10.9.9.9:8080/x']);

  it.each([
    ['ref "http://evil.example/gate.php" x', 'quoted'],
    ['HTTP://EVIL.EXAMPLE/gate.php', 'scheme and host upper case'],
    ['http://evil.example:80/gate.php', 'default port'],
    ['http://evil.example./gate.php', 'trailing dot on the host'],
    ['http://evil.example/gate.php?id=7&x=1', 'with a query'],
    ['see http://evil.example/gate.php.', 'sentence punctuation'],
    ['(http://evil.example/gate.php)', 'in parentheses'],
    ['{"u":"http:\\/\\/evil.example\\/gate.php"}', 'JSON-escaped slashes'],
    ['go=http://evil.example/gate.php#frag', 'with a fragment'],
    ['redirect?u=http://evil.example/gate.php', 'inside a query string'],
  ])('matches %j (%s)', (line) => {
    expect(m.names(line)).toContain('http://evil.example/gate.php');
  });

  it.each([
    ['https://evil.example/gate.php', 'another scheme'],
    ['http://evil.example/gate.phpx', 'longer path'],
    ['http://evil.example/Gate.php', 'path is case-sensitive'],
    ['http://evil.example:81/gate.php', 'another port'],
    ['http://cdn.evil.example/gate.php', 'another host'],
    ['evil.example/gate.php', 'no scheme in the line'],
    ['GET /gate.php HTTP/1.1 evil.example', 'host and path apart'],
  ])('does not match %j (%s)', (line) => {
    expect(m.names(line)).not.toContain('http://evil.example/gate.php');
  });

  it('does not treat the host of a URL indicator as a URL hit', () => {
    expect(m.names('lookup evil.example A')).toEqual([]);
    expect(m.names('http://evil.example/')).toEqual([]);
  });

  it('refangs indicators and keeps explicit ports', () => {
    expect(m.names('GET https://bad.example/dl/a.exe')).toEqual(['https://bad.example/dl/a.exe']);
    expect(m.names('GET https://bad.example:443/dl/a.exe')).toEqual(['https://bad.example/dl/a.exe']);
    expect(m.names('x http://10.9.9.9:8080/x y')).toEqual(['http://10.9.9.9:8080/x']);
    expect(m.names('x http://10.9.9.9/x y')).toEqual([]);
  });

  it('matches a scheme-less URL indicator under any scheme', () => {
    expect(m.names('https://evil.example/zeek/path')).toEqual(['evil.example/zeek/path']);
    expect(m.names('ftp://EVIL.example/zeek/path?q')).toEqual(['evil.example/zeek/path']);
    expect(m.names('https://evil.example/zeek/pathx')).toEqual([]);
  });

  it('reports the URL as written, without trailing punctuation', () => {
    expect(m.found('see HTTP://evil.example/gate.php?a=1).')).toEqual([
      { name: 'http://evil.example/gate.php', atomic: 'HTTP://evil.example/gate.php?a=1' },
    ]);
  });
});
