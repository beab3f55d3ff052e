/**
 * The configuration file: `iochunt config check` and the loader behind it.
 * Every problem is reported at once with the file, line and key path.
 */
import { chmodSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.js';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

const VALID = `# iochunt configuration
state_dir: ./state
feeds_dir: /srv/feeds
feeds:
  - name: otx
    type: otx
    url: https://otx.alienvault.com
    interval: 1h
    credentials:
      api_key: { env: OTX_API_KEY }
    options: { limit: 50, max_age: 30d }
  - name: misp
    type: misp
    url: https://misp.example.org
    interval: 15m
    max_shrink: 30%
    credentials:
      api_key: { file: ./misp.key }
    options: { to_ids: true, published: true, tags: ["tlp:green"] }
    http: { timeout: 2m, retries: 3, max_retry_after: 10m, ca_file: ./ca.pem }
  - name: cert
    type: taxii
    url: https://taxii.example.org/taxii2/
    credentials: { username: hunter, password: { env: TAXII_PASSWORD } }
    options: { collection: Indicators, api_root: api1, added_after: "2024-01-01T00:00:00Z" }
  - name: blocklist
    type: url
    url: https://lists.example.org/ips.txt.gz
    enabled: false
inputs: [ { paths: ["/var/log/*.log"] } ]
`;

describe('configuration file', () => {
  const t = tmpDir('iochunt-config-');
  afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

  it('reads a valid file: defaults, resolved paths, reserved sections kept for tail', () => {
    const { config, warnings } = parseConfig(t.path('iochunt.yaml'), VALID, 0o600);
    expect(warnings).toEqual([]);
    expect(config.stateDir).toBe(t.path('state'));
    expect(config.feedsDir).toBe('/srv/feeds');
    expect(config.feeds.map((f) => f.name)).toEqual(['otx', 'misp', 'cert', 'blocklist']);
    const [otx, misp, cert, list] = config.feeds;
    expect(otx).toMatchObject({ type: 'otx', intervalMs: 3_600_000, maxShrink: 0.5, options: { limit: 50, maxAgeMs: 30 * 86_400_000 } });
    expect(misp).toMatchObject({ intervalMs: 900_000, maxShrink: 0.3, credentials: { apiKey: { file: t.path('misp.key') } } });
    expect(misp?.http).toMatchObject({ timeoutMs: 120_000, retries: 3, maxRetryAfterMs: 600_000, caFile: t.path('ca.pem'), connectTimeoutMs: 10_000 });
    expect(cert).toMatchObject({ options: { collection: 'Indicators', apiRoot: 'api1', limit: 100 } });
    expect(list).toMatchObject({ enabled: false, http: { maxRetryAfterMs: 3_600_000 } });
    expect(config.reserved).toEqual({ inputs: [{ paths: ['/var/log/*.log'] }] });
  });

  it('config check: exit 0 and a one-line summary; credentials it cannot find are warned about', async () => {
    const file = t.write('ok.yaml', VALID);
    chmodSync(file, 0o600);
    const r = await runCli(['config', 'check', file], { env: { OTX_API_KEY: 'x', TAXII_PASSWORD: '' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${file}: valid; 1 input(s), 4 sources (otx, misp, cert, blocklist); state in ${t.path('state')}, feeds in /srv/feeds`);
    expect(r.stderr).toContain('cert: credentials.password: environment variable TAXII_PASSWORD is not set here');
    expect(r.stderr).toContain(`misp: credentials.api_key: ${t.path('misp.key')} is not readable here`);
  });

  it('names the file, line and key path of every problem at once', async () => {
    const file = t.write(
      'bad.yaml',
      `state_dir: ./state
feeds:
  - name: otx
    type: otx
    url: https://otx.alienvault.com
    credentials:
      api_key: { env: OTX_API_KEY }
    options:
      limit: 5000
      bogus: true
  - name: bad name
    type: misp
    url: ftp://misp.example.org
    interval: soon
    credentials: {}
  - name: x
    type: taxi
    url: https://x.example
  - name: otx
    type: url
    url: https://user:secret@lists.example.org/a.txt
    max_shrink: 150%
    http: { retries: -1, timeout: 5 minutes }
outputs: {}
colour: blue
`,
    );
    const r = await runCli(['config', 'check', file]);
    expect(r.code).toBe(2);
    const e = r.stderr;
    expect(e).toContain(`${file}:9: feeds[0].options.limit: expected a whole number from 1 to 1000`);
    expect(e).toContain(`${file}:10: feeds[0].options.bogus: unknown key`);
    expect(e).toContain(`${file}:11: feeds[1].name: expected a name of letters, digits`);
    expect(e).toContain(`${file}:13: feeds[1].url: expected an http or https URL`);
    expect(e).toContain(`${file}:14: feeds[1].interval: expected a duration such as 30s, 5m, 1h or 1d, got "soon"`);
    expect(e).toContain(`${file}:15: feeds[1].credentials.api_key: missing; expected {env: VARIABLE}, {file: PATH}`);
    expect(e).toContain(`${file}:17: feeds[2].type: expected type: otx, misp, taxii or url`);
    expect(e).toContain(`${file}:21: feeds[3].url: the URL must not hold credentials; put them under credentials:`);
    expect(e).toContain(`${file}:22: feeds[3].max_shrink: expected a share such as 50% or 0.5, got "150%"`);
    expect(e).toContain(`${file}:23: feeds[3].http.retries: expected a whole number from 0 to 100`);
    expect(e).toContain(`${file}:23: feeds[3].http.timeout: expected a duration`);
    expect(e).toContain(`${file}:25: colour: unknown key`);
    expect(e).not.toContain('secret@');
  });

  it('duplicate source names and YAML syntax errors name their line', async () => {
    const dup = t.write('dup.yaml', `feeds:\n  - { name: a, type: url, url: "https://a.example/x.txt" }\n  - { name: a, type: url, url: "https://b.example/x.txt" }\n`);
    const r = await runCli(['config', 'check', dup]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${dup}:3: feeds[1].name: "a" is already the name of feeds[0]`);
    const broken = t.write('broken.yaml', 'feeds:\n  - name: a\n    type: [url\n');
    const b = await runCli(['config', 'check', broken]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(new RegExp(`${broken}:\\d+: YAML: `));
    const missing = await runCli(['config', 'check', t.path('nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${t.path('nope.yaml')}: cannot read the configuration file`);
  });

  it('an inline secret is warned about when the file is readable by others, never printed, and accepted in a mode 600 file', async () => {
    const text = `feeds:\n  - name: otx\n    type: otx\n    url: https://otx.example\n    credentials:\n      api_key: Inline-Secret-Value-123\n`;
    const open = t.write('open.yaml', text);
    chmodSync(open, 0o644);
    const r = await runCli(['config', 'check', open]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: ${open}:6: feeds[0].credentials.api_key: a secret written in a file that group or others can read (mode 644); chmod 600 ${open}, or use {env: VARIABLE} or {file: PATH}`);
    expect(r.stderr).not.toContain('Inline-Secret-Value-123');
    const closed = t.write('closed.yaml', text);
    chmodSync(closed, 0o600);
    const c = await runCli(['config', 'check', closed]);
    expect(c.code).toBe(0);
    expect(c.stderr).not.toContain('warning');
    const status = await runCli(['feeds', 'status', '--config', closed]);
    expect(status.stdout).toContain('credentials:  api_key from inline value');
    expect(status.stdout).not.toContain('Inline-Secret-Value-123');
  });

  it('feeds pull without --config or IOCHUNT_CONFIG is a usage error; an unknown source name is refused before any pull', async () => {
    const r = await runCli(['feeds', 'pull'], { env: { IOCHUNT_CONFIG: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs --config FILE (or IOCHUNT_CONFIG)');
    const file = t.write('one.yaml', `state_dir: ./s\nfeeds:\n  - { name: a, type: url, url: "http://127.0.0.1:9/x.txt" }\n`);
    const u = await runCli(['feeds', 'pull', 'b'], { env: { IOCHUNT_CONFIG: file } });
    expect(u.code).toBe(2);
    expect(u.stderr).toContain(`b: no such source in ${file} (sources: a)`);
  });
});
