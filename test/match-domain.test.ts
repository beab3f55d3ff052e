import { describe, expect, it } from 'vitest';
import { engineNames, matcher } from './helpers/engines.js';

describe.each(engineNames())('domain matching (%s engine)', (engine) => {
  const m = matcher(engine, ['evil.example', 'bücher.example', 'xn--80ak6aa92e.com', 'a.b.test']);

  it.each([
    ['evil.example', 'the domain itself'],
    ['query cdn.EVIL.example. IN A', 'a subdomain, upper case, trailing dot'],
    ['EVIL.EXAMPLE', 'upper case'],
    ['http://www.evil.example/path', 'host of a URL'],
    ['bob@mail.evil.example', 'domain of an e-mail address'],
    ['evil.example:443', 'with a port'],
    ['(evil.example)', 'in parentheses'],
    ['_dmarc.evil.example TXT', 'service label'],
    ['a.b.c.d.evil.example', 'deep subdomain'],
    ['visit evil.example...', 'followed by an ellipsis'],
  ])('matches %j (%s)', (line) => {
    expect(m.names(line)).toContain('evil.example');
  });

  it.each([
    ['notevil.example', 'a longer label'],
    ['evil.example.org', 'a longer name'],
    ['evil-example', 'no dot'],
    ['evil.examples', 'longer TLD'],
    ['xevil.example', 'letter before'],
    ['my-evil.example', 'hyphen joins the label'],
    ['evil.exampl', 'shorter'],
  ])('does not match %j (%s)', (line) => {
    expect(m.names(line)).not.toContain('evil.example');
  });

  it('treats the Unicode and punycode spellings as one indicator', () => {
    expect(m.names('GET http://bücher.example/ HTTP/1.1')).toEqual(['xn--bcher-kva.example']);
    expect(m.names('query xn--bcher-kva.example IN A')).toEqual(['xn--bcher-kva.example']);
    expect(m.names('query shop.XN--BCHER-KVA.example.')).toEqual(['xn--bcher-kva.example']);
    expect(m.names('query пример.com and xn--80ak6aa92e.com')).toEqual(['xn--80ak6aa92e.com']);
  });

  it('reports the whole domain as the matched text', () => {
    expect(m.found('q cdn.EVIL.example. x')).toEqual([{ name: 'evil.example', atomic: 'cdn.EVIL.example' }]);
  });

  it('matches only the name itself with --domain-match exact', () => {
    const exact = matcher(engine, ['evil.example'], 'exact');
    expect(exact.names('evil.example')).toEqual(['evil.example']);
    expect(exact.names('EVIL.example.')).toEqual(['evil.example']);
    expect(exact.names('cdn.evil.example')).toEqual([]);
  });

  it('matches nested domain indicators together', () => {
    const nested = matcher(engine, ['example.net', 'bad.example.net']);
    expect(nested.names('x.bad.example.net')).toEqual(['bad.example.net', 'example.net']);
    expect(nested.names('good.example.net')).toEqual(['example.net']);
  });
});
