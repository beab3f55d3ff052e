import { describe, expect, it } from 'vitest';
import { loadFeeds } from '../src/indicators/load.js';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';

describe('Google SCC ETD custom modules', () => {
  it('reads a CONFIGURABLE_BAD_DOMAIN module with metadata; refuses localhost; IDNs match punycode', async () => {
    const t = tmpDir();
    const feed = t.write(
      'bad-domains.json',
      JSON.stringify({
        name: 'organizations/1/eventThreatDetectionSettings/customModules/2',
        displayName: 'bad_domains',
        enablementState: 'ENABLED',
        type: 'CONFIGURABLE_BAD_DOMAIN',
        config: {
          domains: ['bücher-evil.example', 'localhost', 'etd-evil.example'],
          metadata: { severity: 'HIGH', description: 'Known bad domains', recommendation: 'Block and investigate' },
        },
      }),
    );
    const { store, feeds, invalid } = await loadFeeds([feed]);
    expect(feeds[0]).toMatchObject({ format: 'gcp-etd', invalid: 1 });
    expect(invalid.map((i) => [i.line, i.reason])).toEqual([[2, 'localhost is refused as an indicator (as ETD does)']]);
    expect(store.get(0).sources[0]).toEqual({
      feed,
      line: 1,
      severity: 'HIGH',
      description: 'Known bad domains',
      recommendation: 'Block and investigate',
      provider: 'Google SCC ETD custom module bad_domains',
    });
    const log = t.write('dns.log', '2024-05-01T10:00:00Z query xn--bcher-evil-9db.example A\n');
    const r = await runCli(['scan', '--no-info', '--no-cache', '--format', 'none', '--iocs', feed, log]);
    expect(r.code).toBe(0);
    const doc = r.docs[0] as Record<string, any>;
    expect(doc.event.severity).toBe(73);
    expect(doc.threat.enrichments[0].indicator).toMatchObject({
      name: 'xn--bcher-evil-9db.example',
      severity: 'HIGH',
      description: 'Known bad domains',
      recommendation: 'Block and investigate',
      provider: 'Google SCC ETD custom module bad_domains',
    });
  });

  it('reads a CONFIGURABLE_BAD_IP config file (metadata before or after ips)', async () => {
    const t = tmpDir();
    const feed = t.write(
      'bad-ips.json',
      '{"ips": ["198.51.100.50", "203.0.113.0/24"], "metadata": {"severity": "LOW", "description": "d", "recommendation": "r"}}',
    );
    const { store, feeds } = await loadFeeds([feed]);
    expect(feeds[0]?.format).toBe('gcp-etd');
    expect(store.all().map((s) => [s.indicator.name, s.sources[0]?.severity])).toEqual([
      ['198.51.100.50', 'LOW'],
      ['203.0.113.0/24', 'LOW'],
    ]);
  });
});
