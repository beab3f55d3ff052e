/**
 * Unit tests of the Elasticsearch connection settings (src/output/es/es-config.ts)
 * and of the content-derived document ids (src/output/es/hit-id.ts). No
 * cluster is involved.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import {
  DEFAULT_ES_INDEX,
  DEFAULT_LIMITS,
  parseAuthFile,
  parseIndexName,
  parseNodeUrl,
  redact,
  resolveAuth,
  validateEsOptions,
  type RawEsOptions,
} from '../src/output/es/es-config.js';
import { hitId } from '../src/output/es/hit-id.js';
import type { HitDocument } from '../src/output/hit-document.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir('iochunt-es-config-');

/** No IOCHUNT_ES_* from the environment of the test run. */
const NO_ENV: NodeJS.ProcessEnv = {};

/** Runs `fn`, expects a UsageError, and returns it. */
function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe('E_USAGE');
    return err as UsageError;
  }
  throw new Error('expected a UsageError, but nothing was thrown');
}

function validate(raw: RawEsOptions, env: NodeJS.ProcessEnv = NO_ENV) {
  return validateEsOptions(raw, env);
}

describe('validateEsOptions: node URLs', () => {
  it('returns undefined when neither --es nor any --es-* option is given', () => {
    expect(validate({})).toBeUndefined();
    expect(validate({ es: [] })).toBeUndefined();
    // commander leaves boolean flags false when absent: that is not "given".
    expect(validate({ esInsecure: false })).toBeUndefined();
  });

  it('gives the defaults for a single node without credentials', () => {
    const c = validate({ es: ['http://localhost:9200'] });
    expect(c).toEqual({
      nodes: ['http://localhost:9200'],
      index: DEFAULT_ES_INDEX,
      auth: { kind: 'none' },
      insecure: false,
      waitMs: 0,
      limits: DEFAULT_LIMITS,
      secrets: [],
    });
    expect(c?.ca).toBeUndefined();
    expect(c?.pipeline).toBeUndefined();
  });

  it('removes trailing slashes, keeping a path prefix', () => {
    expect(validate({ es: ['http://localhost:9200/'] })?.nodes).toEqual(['http://localhost:9200']);
    expect(validate({ es: ['https://es.example:9243/proxy/es//'] })?.nodes).toEqual(['https://es.example:9243/proxy/es']);
    expect(validate({ es: ['https://es.example'] })?.nodes).toEqual(['https://es.example']);
  });

  it('keeps several nodes, in order', () => {
    const c = validate({ es: ['http://10.0.0.1:9200/', 'https://10.0.0.2:9200', 'http://[::1]:9200'] });
    expect(c?.nodes).toEqual(['http://10.0.0.1:9200', 'https://10.0.0.2:9200', 'http://[::1]:9200']);
  });

  it('refuses credentials in the URL without printing the password', () => {
    const err = usageError(() => validate({ es: ['https://elastic:S3cretPassw0rd@es.example:9200'] }));
    expect(err.message).toMatch(/^--es: credentials in the URL are refused/);
    expect(err.message).toMatch(/IOCHUNT_ES_USERNAME/);
    expect(err.message).toContain('https://[redacted]@es.example:9200');
    expect(err.message).not.toContain('S3cretPassw0rd');
    expect(err.message).not.toContain('elastic:');
  });

  it('refuses credentials in the second of several nodes', () => {
    const err = usageError(() => validate({ es: ['http://ok.example:9200', 'http://u:TopSecret1@bad.example:9200'] }));
    expect(err.message).toMatch(/credentials in the URL are refused/);
    expect(err.message).not.toContain('TopSecret1');
  });

  it('refuses a user name alone, and a password alone, in the URL', () => {
    expect(usageError(() => validate({ es: ['http://elastic@es.example:9200'] })).message).toMatch(/credentials in the URL are refused/);
    const err = usageError(() => validate({ es: ['http://:OnlyPassw0rd@es.example:9200'] }));
    expect(err.message).toMatch(/credentials in the URL are refused/);
    expect(err.message).not.toContain('OnlyPassw0rd');
  });

  it('never prints a password that holds an @', () => {
    // The URL parser takes the last @ as the end of the credentials.
    const err = usageError(() => validate({ es: ['https://elastic:p@ssw0rdSecret@es.example:9200'] }));
    expect(err.message).toMatch(/credentials in the URL are refused/);
    expect(err.message).not.toContain('ssw0rdSecret');
  });

  it('never prints a password that holds a / (a URL that does not parse)', () => {
    const err = usageError(() => validate({ es: ['https://elastic:pa/ssw0rdSecret@es.example:9200'] }));
    expect(err.message).not.toContain('ssw0rdSecret');
  });

  it('redacts the credentials of a URL that does not parse', () => {
    // "elastic:bad port" is not a host and port: the URL is invalid.
    const err = usageError(() => parseNodeUrl('--es', 'http://elastic:Hidden#Pw@es.example'));
    expect(err.message).toMatch(/Expected an http:\/\/ or https:\/\/ URL for --es/);
    expect(err.message).not.toContain('Hidden');
  });

  it.each(['ftp://es.example:21', 'file:///etc/passwd', 'ws://es.example:9200', 'localhost:9200', 'javascript:alert(1)'])(
    'refuses the non-http URL %s',
    (url) => {
      const err = usageError(() => validate({ es: [url] }));
      expect(err.message).toMatch(/^Expected an http:\/\/ or https:\/\/ URL for --es but received/);
    },
  );

  it.each(['es.example:9200x', '', 'not a url', '//es.example:9200'])('refuses %j, which is not a URL', (url) => {
    expect(usageError(() => validate({ es: [url] })).message).toMatch(/Expected an http:\/\/ or https:\/\/ URL for --es/);
  });

  it('refuses a query or a fragment', () => {
    expect(usageError(() => validate({ es: ['http://es.example:9200/?pretty'] })).message).toMatch(/takes no query or fragment/);
    expect(usageError(() => validate({ es: ['http://es.example:9200/#x'] })).message).toMatch(/takes no query or fragment/);
  });
});

describe('validateEsOptions: --es-* options need --es', () => {
  it.each<[RawEsOptions, string]>([
    [{ esIndex: 'logs-x-y' }, '--es-index'],
    [{ esAuthFile: '/nonexistent' }, '--es-auth-file'],
    [{ esInsecure: true }, '--es-insecure'],
    [{ esBatchDocs: '10' }, '--es-batch-docs'],
    [{ esBatchSize: '1M' }, '--es-batch-size'],
    [{ esFlushInterval: '1' }, '--es-flush-interval'],
    [{ esRetryFor: '1' }, '--es-retry-for'],
    [{ esRequestTimeout: '5' }, '--es-request-timeout'],
    [{ esPipeline: 'p' }, '--es-pipeline'],
    [{ esWait: '3', es: [] }, '--es-wait'],
  ])('refuses %j without --es', (raw, flag) => {
    const err = usageError(() => validate(raw));
    expect(err.message).toBe(`${flag} needs --es URL`);
  });
});

describe('validateEsOptions: index, TLS, pipeline, wait', () => {
  it('takes a valid --es-index and refuses an invalid one', () => {
    expect(validate({ es: ['http://h:9200'], esIndex: 'logs-iochunt.hits-prod' })?.index).toBe('logs-iochunt.hits-prod');
    expect(usageError(() => validate({ es: ['http://h:9200'], esIndex: 'Logs' })).message).toMatch(/for --es-index/);
  });

  it('reads a PEM --es-ca and refuses a missing or non-PEM file', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const ca = t.write('ca.pem', pem);
    expect(validate({ es: ['https://h:9200'], esCa: ca })?.ca).toBe(pem);
    expect(usageError(() => validate({ es: ['https://h:9200'], esCa: t.path('missing.pem') })).message).toMatch(/cannot read it \(ENOENT\)/);
    const notPem = t.write('ca.txt', 'hello');
    expect(usageError(() => validate({ es: ['https://h:9200'], esCa: notPem })).message).toMatch(/expected PEM certificates/);
    expect(usageError(() => validate({ es: ['https://h:9200'], esCa: ca, esInsecure: true })).message).toMatch(/exclude each other/);
    expect(validate({ es: ['https://h:9200'], esInsecure: true })?.insecure).toBe(true);
  });

  it('checks --es-pipeline and --es-wait', () => {
    expect(validate({ es: ['http://h:9200'], esPipeline: 'iochunt-geoip' })?.pipeline).toBe('iochunt-geoip');
    for (const bad of ['', 'a b', 'a/b', 'a,b', 'a*b']) {
      expect(usageError(() => validate({ es: ['http://h:9200'], esPipeline: bad })).message).toMatch(/ingest pipeline id for --es-pipeline/);
    }
    expect(validate({ es: ['http://h:9200'], esWait: '2.5' })?.waitMs).toBe(2500);
    expect(validate({ es: ['http://h:9200'], esWait: '0' })?.waitMs).toBe(0);
    expect(usageError(() => validate({ es: ['http://h:9200'], esWait: '86401' })).message).toMatch(/from 0 to 86400 for --es-wait/);
    expect(usageError(() => validate({ es: ['http://h:9200'], esWait: '-1' })).message).toMatch(/--es-wait/);
  });
});

describe('validateEsOptions: delivery limits', () => {
  const base = { es: ['http://h:9200'] };

  it('parses every limit', () => {
    const c = validate({
      ...base,
      esBatchSize: '2M',
      esBatchDocs: '500',
      esFlushInterval: '0.25',
      esConcurrency: '8',
      esRetryFor: '60',
      esRequestTimeout: '30',
    });
    expect(c?.limits).toEqual({
      ...DEFAULT_LIMITS,
      batchBytes: 2 * 1024 * 1024,
      batchDocs: 500,
      flushMs: 250,
      concurrency: 8,
      retryForMs: 60_000,
      requestTimeoutMs: 30_000,
    });
  });

  it('accepts the bounds themselves', () => {
    expect(validate({ ...base, esBatchSize: '1024' })?.limits.batchBytes).toBe(1024);
    expect(validate({ ...base, esBatchSize: '512M' })?.limits.batchBytes).toBe(512 * 1024 * 1024);
    expect(validate({ ...base, esBatchDocs: '1' })?.limits.batchDocs).toBe(1);
    expect(validate({ ...base, esBatchDocs: '1000000' })?.limits.batchDocs).toBe(1_000_000);
    expect(validate({ ...base, esConcurrency: '1' })?.limits.concurrency).toBe(1);
    expect(validate({ ...base, esConcurrency: '64' })?.limits.concurrency).toBe(64);
    expect(validate({ ...base, esFlushInterval: '0.01' })?.limits.flushMs).toBe(10);
    expect(validate({ ...base, esRetryFor: '0' })?.limits.retryForMs).toBe(0);
    expect(validate({ ...base, esRequestTimeout: '1' })?.limits.requestTimeoutMs).toBe(1000);
  });

  it.each<[keyof RawEsOptions, string, RegExp]>([
    ['esBatchSize', '1023', /from 1024 to 536870912 bytes .* for --es-batch-size but received "1023"/],
    ['esBatchSize', '513M', /for --es-batch-size/],
    ['esBatchSize', '1.5M', /for --es-batch-size/],
    ['esBatchSize', 'lots', /for --es-batch-size/],
    ['esBatchDocs', '0', /from 1 to 1000000 for --es-batch-docs but received "0"/],
    ['esBatchDocs', '1000001', /for --es-batch-docs/],
    ['esBatchDocs', '1.5', /for --es-batch-docs/],
    ['esBatchDocs', '-5', /for --es-batch-docs/],
    ['esConcurrency', '0', /from 1 to 64 for --es-concurrency/],
    ['esConcurrency', '65', /for --es-concurrency/],
    ['esFlushInterval', '0', /seconds from 0.01 to 3600 for --es-flush-interval/],
    ['esFlushInterval', '3601', /for --es-flush-interval/],
    ['esFlushInterval', '1e3', /for --es-flush-interval/],
    ['esRetryFor', '-1', /for --es-retry-for/],
    ['esRetryFor', '604801', /from 0 to 604800 for --es-retry-for/],
    ['esRetryFor', 'Infinity', /for --es-retry-for/],
    ['esRequestTimeout', '0.5', /from 1 to 3600 for --es-request-timeout/],
    ['esRequestTimeout', '', /for --es-request-timeout/],
  ])('refuses %s %j', (key, value, message) => {
    const err = usageError(() => validate({ ...base, [key]: value }));
    expect(err.message).toMatch(message);
  });
});

describe('parseIndexName', () => {
  it.each(['logs-iochunt.hits-default', 'hits', 'a.b_c-d+e', 'x'.repeat(255), 'journal-é', 'a..b', '.hidden'])('takes %j', (name) => {
    expect(parseIndexName('--es-index', name)).toBe(name);
  });

  it.each([
    '',
    '.',
    '..',
    '-hits',
    '_hits',
    '+hits',
    'Logs-iochunt',
    'a b',
    'a,b',
    'a#b',
    'a:b',
    'a/b',
    'a\\b',
    'a*b',
    'a?b',
    'a"b',
    'a<b',
    'a>b',
    'a|b',
    'x'.repeat(256),
    // 128 two-byte characters: 256 bytes.
    'é'.repeat(128),
  ])('refuses %j', (name) => {
    const err = usageError(() => parseIndexName('--es-index', name));
    expect(err.message).toMatch(/^Expected an Elasticsearch index or data stream name for --es-index/);
    expect(err.message).toContain(`but received ${JSON.stringify(name)}`);
  });

  it('refuses upper case outside ASCII too (Elasticsearch requires lower case)', () => {
    usageError(() => parseIndexName('--es-index', 'journal-É'));
  });
});

describe('parseAuthFile', () => {
  it('reads KEY=VALUE lines with comments, blank lines, quotes, export and CRLF', () => {
    const text = [
      '# iochunt credentials',
      '',
      '   # indented comment',
      'export IOCHUNT_ES_USERNAME=elastic',
      'IOCHUNT_ES_PASSWORD = "pa ss=word"',
      "export\tIOCHUNT_ES_API_KEY='a2V5OnNlY3JldA=='",
      'IOCHUNT_ES_BEARER_TOKEN=tok==\r',
      '',
    ].join('\r\n');
    expect(parseAuthFile('auth.env', text)).toEqual({
      IOCHUNT_ES_USERNAME: 'elastic',
      IOCHUNT_ES_PASSWORD: 'pa ss=word',
      IOCHUNT_ES_API_KEY: 'a2V5OnNlY3JldA==',
      IOCHUNT_ES_BEARER_TOKEN: 'tok==',
    });
  });

  it('keeps unmatched quotes as they are, and treats an empty value as unset', () => {
    expect(parseAuthFile('f', 'IOCHUNT_ES_PASSWORD="abc\nIOCHUNT_ES_USERNAME=\'x"')).toEqual({
      IOCHUNT_ES_PASSWORD: '"abc',
      IOCHUNT_ES_USERNAME: '\'x"',
    });
    expect(parseAuthFile('f', 'IOCHUNT_ES_PASSWORD=""')).toEqual({});
    expect(parseAuthFile('f', 'IOCHUNT_ES_API_KEY=\nIOCHUNT_ES_USERNAME=u\nIOCHUNT_ES_PASSWORD=p')).toEqual({ IOCHUNT_ES_USERNAME: 'u', IOCHUNT_ES_PASSWORD: 'p' });
  });

  it('names an unknown key with the line number, never the value', () => {
    const err = usageError(() => parseAuthFile('/etc/iochunt/auth.env', '# creds\nIOCHUNT_ES_USERNAME=elastic\nIOCHUNT_ES_PASSWD=hunter2secret\n'));
    expect(err.message).toMatch(/^\/etc\/iochunt\/auth\.env:3: expected KEY=VALUE with KEY one of IOCHUNT_ES_API_KEY, /);
    expect(err.message).toContain('found the key IOCHUNT_ES_PASSWD');
    expect(err.message).not.toContain('hunter2secret');
  });

  it('names a line without "=" by its number only', () => {
    const err = usageError(() => parseAuthFile('auth.env', '\n\nhunter2secret\n'));
    expect(err.message).toMatch(/^auth\.env:3: expected KEY=VALUE/);
    expect(err.message).not.toContain('hunter2secret');
    expect(usageError(() => parseAuthFile('auth.env', '=value-only')).message).not.toContain('value-only');
  });

  it('never prints a value whose line uses another separator but holds an "=" (base64 padding)', () => {
    const err = usageError(() => parseAuthFile('auth.env', 'IOCHUNT_ES_API_KEY: c2VjcmV0QXBpS2V5VmFsdWU==\n'));
    expect(err.message).toMatch(/^auth\.env:1: /);
    expect(err.message).not.toContain('c2VjcmV0');
  });
});

describe('resolveAuth', () => {
  it('reads credentials from the environment, ignoring empty variables', () => {
    expect(resolveAuth({})).toEqual({ kind: 'none' });
    expect(resolveAuth({ IOCHUNT_ES_API_KEY: 'k3y' })).toEqual({ kind: 'apiKey', apiKey: 'k3y' });
    expect(resolveAuth({ IOCHUNT_ES_BEARER_TOKEN: 'tok' })).toEqual({ kind: 'bearer', token: 'tok' });
    expect(resolveAuth({ IOCHUNT_ES_USERNAME: 'elastic', IOCHUNT_ES_PASSWORD: 'pw' })).toEqual({ kind: 'basic', username: 'elastic', password: 'pw' });
    expect(resolveAuth({ IOCHUNT_ES_API_KEY: '', IOCHUNT_ES_BEARER_TOKEN: 'tok', IOCHUNT_ES_USERNAME: '' })).toEqual({ kind: 'bearer', token: 'tok' });
  });

  it('refuses more than one kind of credentials, naming the variables but not their values', () => {
    const err = usageError(() => resolveAuth({ IOCHUNT_ES_API_KEY: 'apikeyvalue', IOCHUNT_ES_USERNAME: 'elastic', IOCHUNT_ES_PASSWORD: 'passvalue' }));
    expect(err.message).toBe(
      'more than one kind of Elasticsearch credentials in the environment (IOCHUNT_ES_API_KEY, IOCHUNT_ES_USERNAME, IOCHUNT_ES_PASSWORD); keep one',
    );
    expect(usageError(() => resolveAuth({ IOCHUNT_ES_API_KEY: 'a', IOCHUNT_ES_BEARER_TOKEN: 'b' })).message).toMatch(/more than one kind/);
    expect(usageError(() => resolveAuth({ IOCHUNT_ES_PASSWORD: 'p', IOCHUNT_ES_BEARER_TOKEN: 'b' })).message).toMatch(/more than one kind/);
  });

  it('refuses a user name without a password, and a password without a user name', () => {
    expect(usageError(() => resolveAuth({ IOCHUNT_ES_USERNAME: 'elastic' })).message).toMatch(
      /IOCHUNT_ES_USERNAME and IOCHUNT_ES_PASSWORD go together \(in the environment\)/,
    );
    const err = usageError(() => resolveAuth({ IOCHUNT_ES_PASSWORD: 'lonelySecret' }));
    expect(err.message).toMatch(/go together/);
    expect(err.message).not.toContain('lonelySecret');
  });

  it('reads an auth file instead of the environment', () => {
    const f = t.write('auth-basic.env', '# for iochunt\nexport IOCHUNT_ES_USERNAME="ingest"\nIOCHUNT_ES_PASSWORD=\'s3cr3t #1\'\n');
    // The environment is not consulted when a file is given.
    expect(resolveAuth({ IOCHUNT_ES_API_KEY: 'from-env' }, f)).toEqual({ kind: 'basic', username: 'ingest', password: 's3cr3t #1' });
    const k = t.write('auth-key.env', 'IOCHUNT_ES_API_KEY=a2V5OnNlY3JldA==\n');
    expect(resolveAuth({}, k)).toEqual({ kind: 'apiKey', apiKey: 'a2V5OnNlY3JldA==' });
  });

  it('refuses an auth file with two kinds, with a user name only, or that cannot be read', () => {
    const two = t.write('auth-two.env', 'IOCHUNT_ES_API_KEY=abc\nIOCHUNT_ES_BEARER_TOKEN=def\n');
    const e1 = usageError(() => resolveAuth({}, two));
    expect(e1.message).toBe(`more than one kind of Elasticsearch credentials in ${two} (IOCHUNT_ES_API_KEY, IOCHUNT_ES_BEARER_TOKEN); keep one`);
    const userOnly = t.write('auth-user.env', 'IOCHUNT_ES_USERNAME=elastic\n');
    expect(usageError(() => resolveAuth({}, userOnly)).message).toMatch(/go together \(in .*auth-user\.env\)/);
    const emptyUser = t.write('auth-empty-user.env', 'IOCHUNT_ES_USERNAME=\nIOCHUNT_ES_PASSWORD=pw\n');
    expect(usageError(() => resolveAuth({}, emptyUser)).message).toMatch(/go together/);
    expect(usageError(() => resolveAuth({}, t.path('no-such.env'))).message).toMatch(/--es-auth-file .*no-such\.env: cannot read it \(ENOENT\)/);
    const unknown = t.write('auth-unknown.env', 'IOCHUNT_ES_USERNAME=elastic\nPASSWORD=topSecretValue\n');
    const e2 = usageError(() => resolveAuth({}, unknown));
    expect(e2.message).toContain(`${unknown}:2:`);
    expect(e2.message).not.toContain('topSecretValue');
  });

  it('is used by validateEsOptions, which lists the secrets', () => {
    const f = t.write('auth-v.env', 'IOCHUNT_ES_USERNAME=elastic\nIOCHUNT_ES_PASSWORD=changeme\n');
    const c = validate({ es: ['http://h:9200'], esAuthFile: f }, { IOCHUNT_ES_BEARER_TOKEN: 'ignored' });
    expect(c?.auth).toEqual({ kind: 'basic', username: 'elastic', password: 'changeme' });
    expect(c?.secrets).toEqual(['changeme', Buffer.from('elastic:changeme').toString('base64')]);
    expect(validate({ es: ['http://h:9200'] }, { IOCHUNT_ES_BEARER_TOKEN: 'tok123' })?.secrets).toEqual(['tok123']);
    expect(validate({ es: ['http://h:9200'] }, { IOCHUNT_ES_API_KEY: 'encodedKey' })?.secrets).toEqual(['encodedKey']);
    expect(() => validate({ es: ['http://h:9200'] }, { IOCHUNT_ES_API_KEY: 'a', IOCHUNT_ES_BEARER_TOKEN: 'b' })).toThrow(UsageError);
  });
});

describe('redact', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redact('pw=hunter2 again hunter2, token abc', ['hunter2', 'abc'])).toBe('pw=[redacted] again [redacted], token [redacted]');
  });

  it('replaces the URL-encoded form of a secret', () => {
    expect(redact('GET /?p=p%40ss%2Fw%3Ard and p@ss/w:rd', ['p@ss/w:rd'])).toBe('GET /?p=[redacted] and [redacted]');
  });

  it('leaves text without secrets alone, and ignores empty secrets', () => {
    expect(redact('nothing to hide', ['hunter2', ''])).toBe('nothing to hide');
    expect(redact('abc', [])).toBe('abc');
  });

  it('replaces the base64 form of basic credentials (the Authorization header)', () => {
    const c = validate({ es: ['http://h:9200'] }, { IOCHUNT_ES_USERNAME: 'elastic', IOCHUNT_ES_PASSWORD: 'Pa55@word' });
    const header = `Basic ${Buffer.from('elastic:Pa55@word').toString('base64')}`;
    const out = redact(`request failed: authorization: ${header}, password Pa55@word, encoded Pa55%40word`, c?.secrets ?? []);
    expect(out).toBe('request failed: authorization: Basic [redacted], password [redacted], encoded [redacted]');
  });

  it('replaces an id:key API key, its base64 form and its key part', () => {
    const c = validate({ es: ['http://h:9200'] }, { IOCHUNT_ES_API_KEY: 'VuaCfGcBCdbkQm:ui2lp2axTNmsyakw9tvNnw' });
    const b64 = Buffer.from('VuaCfGcBCdbkQm:ui2lp2axTNmsyakw9tvNnw').toString('base64');
    const out = redact(`ApiKey ${b64}; pair VuaCfGcBCdbkQm:ui2lp2axTNmsyakw9tvNnw; key ui2lp2axTNmsyakw9tvNnw`, c?.secrets ?? []);
    expect(out).toBe('ApiKey [redacted]; pair [redacted]; key [redacted]');
  });
});

/** A hit document with one enrichment per [type, name]. */
function doc(options: { path?: string; inode?: string; offset?: number; line?: string; indicators?: Array<[string, string]> } = {}): HitDocument {
  const line = options.line ?? 'GET http://evil.example/x from 10.1.2.3';
  return {
    '@timestamp': '2025-01-02T03:04:05.000Z',
    event: { kind: 'alert', original: line },
    log: { file: options.inode === undefined ? { path: options.path ?? '/var/log/a.log' } : { path: options.path ?? '/var/log/a.log', inode: options.inode }, offset: options.offset ?? 100 },
    threat: {
      enrichments: (options.indicators ?? [['ipv4-addr', '10.1.2.3']]).map(([type, name]) => ({
        indicator: { name, type },
        matched: { atomic: name, field: 'message', id: `id-${name}`, index: 'logs-ti_iochunt.indicators-default', type: 'indicator_match_rule' as const },
        feed: { name: 'feed.txt' },
        iochunt: { feed: { path: 'feed.txt' } },
      })),
    },
  };
}

describe('hitId', () => {
  it('is 27 characters of base64url', () => {
    const id = hitId(doc());
    expect(id).toHaveLength(27);
    expect(id).toMatch(/^[A-Za-z0-9_-]{27}$/);
  });

  it('is the same for the same document, built twice, whatever its timestamp and feed metadata', () => {
    const a = doc({ inode: '1234' });
    const b = { ...doc({ inode: '1234' }), '@timestamp': '2030-01-01T00:00:00.000Z' };
    b.threat.enrichments[0]!.feed.name = 'other-feed.csv';
    expect(hitId(a)).toBe(hitId(b));
    expect(hitId(a)).toBe(hitId(JSON.parse(JSON.stringify(a)) as HitDocument));
  });

  it('differs when the offset differs', () => {
    expect(hitId(doc({ offset: 100 }))).not.toBe(hitId(doc({ offset: 101 })));
    expect(hitId(doc({ inode: '7', offset: 0 }))).not.toBe(hitId(doc({ inode: '7', offset: 1 })));
  });

  it('differs when the line text differs', () => {
    expect(hitId(doc({ line: 'a 10.1.2.3' }))).not.toBe(hitId(doc({ line: 'b 10.1.2.3' })));
    expect(hitId(doc({ inode: '7', line: 'x' }))).not.toBe(hitId(doc({ inode: '7', line: 'x ' })));
  });

  it('differs when the set of indicators differs, not when their order or repetition does', () => {
    const one = doc({ indicators: [['ipv4-addr', '10.1.2.3']] });
    const two = doc({ indicators: [['ipv4-addr', '10.1.2.3'], ['domain-name', 'evil.example']] });
    const twoReordered = doc({ indicators: [['domain-name', 'evil.example'], ['ipv4-addr', '10.1.2.3'], ['domain-name', 'evil.example']] });
    const otherType = doc({ indicators: [['domain-name', '10.1.2.3']] });
    expect(hitId(one)).not.toBe(hitId(two));
    expect(hitId(two)).toBe(hitId(twoReordered));
    expect(hitId(one)).not.toBe(hitId(otherType));
  });

  it('differs when the inode differs', () => {
    expect(hitId(doc({ inode: '1234' }))).not.toBe(hitId(doc({ inode: '1235' })));
  });

  it('is the same when only the path differs but the inode is equal (a file renamed by rotation)', () => {
    expect(hitId(doc({ path: '/var/log/app.log', inode: '4242' }))).toBe(hitId(doc({ path: '/var/log/app.log.1', inode: '4242' })));
  });

  it('uses the path when there is no inode', () => {
    expect(hitId(doc({ path: '-' }))).not.toBe(hitId(doc({ path: '/dev/stdin' })));
    expect(hitId(doc({ path: '-' }))).toBe(hitId(doc({ path: '-' })));
    // A path that looks like an inode number is not confused with one.
    expect(hitId(doc({ path: '4242' }))).not.toBe(hitId(doc({ path: 'x', inode: '4242' })));
  });
});
