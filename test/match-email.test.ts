import { describe, expect, it } from 'vitest';
import { engineNames, matcher } from './helpers/engines.js';

describe.each(engineNames())('e-mail matching (%s engine)', (engine) => {
  const m = matcher(engine, ['Phish.Er@Evil.Example', 'a+b@corp.test']);

  it.each([
    ['from=<phish.er@evil.example>', 'in angle brackets'],
    ['PHISH.ER@EVIL.EXAMPLE', 'upper case'],
    ['mailto:phish.er@evil.example', 'mailto'],
    ['"principalEmail":"phish.er@evil.example"', 'JSON value'],
    ['sent by phish.er@evil.example.', 'sentence end'],
  ])('matches %j (%s)', (line) => {
    expect(m.names(line)).toContain('phish.er@evil.example');
  });

  it.each([
    ['xphish.er@evil.example', 'longer local part'],
    ['phish.er@evil.example.org', 'longer domain'],
    ['phish.er@mail.evil.example', 'subdomain'],
    ['er@evil.example', 'shorter local part'],
    ['phish.er at evil.example', 'no @'],
  ])('does not match %j (%s)', (line) => {
    expect(m.names(line)).not.toContain('phish.er@evil.example');
  });

  it('keeps + in the local part', () => {
    expect(m.names('to a+b@corp.test')).toEqual(['a+b@corp.test']);
    expect(m.names('to b@corp.test')).toEqual([]);
  });
});
