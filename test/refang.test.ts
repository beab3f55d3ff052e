import { describe, expect, it } from 'vitest';
import { refang } from '../src/indicators/refang.js';

describe('refang', () => {
  it.each([
    ['hxxp://evil[.]example/a', 'http://evil.example/a'],
    ['hxxps://evil[.]example', 'https://evil.example'],
    ['HXXPS[:]//evil[.]example', 'https://evil.example'],
    ['evil(.)example', 'evil.example'],
    ['evil{.}example', 'evil.example'],
    ['evil[dot]example', 'evil.example'],
    ['evil[DOT]example', 'evil.example'],
    ['10[.]1[.]2[.]3', '10.1.2.3'],
    ['user[@]evil[.]example', 'user@evil.example'],
    ['user[at]evil[.]example', 'user@evil.example'],
    ['http[:]//evil.example', 'http://evil.example'],
    ['hxxp[://]evil.example', 'http://evil.example'],
  ])('%s -> %s', (input, expected) => {
    expect(refang(input)).toBe(expected);
  });

  it('leaves clean values alone', () => {
    expect(refang('http://evil.example/a(b)')).toBe('http://evil.example/a(b)');
    expect(refang('hxxpool.example')).toBe('hxxpool.example');
  });
});
