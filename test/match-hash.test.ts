import { describe, expect, it } from 'vitest';
import { engineNames, matcher } from './helpers/engines.js';

const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SHA512 = 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';

describe.each(engineNames())('hash matching (%s engine)', (engine) => {
  const m = matcher(engine, [MD5, SHA1.toUpperCase(), SHA256, SHA512]);

  it('matches MD5, SHA-1, SHA-256 and SHA-512 as whole tokens, any case', () => {
    expect(m.names(`md5=${MD5.toUpperCase()}`)).toEqual([MD5]);
    expect(m.names(`sha1 ${SHA1} ok`)).toEqual([SHA1]);
    expect(m.names(`"sha256":"${SHA256}"`)).toEqual([SHA256]);
    expect(m.names(`${SHA512}.bin`)).toEqual([SHA512]);
    expect(m.names(`sha256:${SHA256}`)).toEqual([SHA256]);
  });

  it('does not match a hash inside a longer hex or word run', () => {
    expect(m.names(`a${MD5}`)).toEqual([]);
    expect(m.names(`${MD5}0`)).toEqual([]);
    expect(m.names(`0x${MD5}`)).toEqual([]);
    expect(m.names(`${MD5}_x`)).toEqual([]);
    // The MD5 is the first 32 digits of this SHA-1-length run: not a hit.
    expect(m.names(`${MD5}00000000`)).toEqual([]);
    // A SHA-256 whose first half equals nothing listed.
    expect(m.names(SHA256.slice(0, 63))).toEqual([]);
  });

  it('names the hash algorithm in the indicator', () => {
    const ind = m.store.get(m.store.find('file', SHA256)!.id).indicator;
    expect(ind).toMatchObject({ type: 'file', algorithm: 'sha256' });
  });
});
