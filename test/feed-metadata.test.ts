import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { tmpDir } from './helpers/tmp.js';
import { MISP_EVENT, STIX_BUNDLE } from './helpers/feed-fixtures.js';

describe('feed metadata in hits', () => {
  it('maps STIX and MISP metadata to threat.indicator.* and survives the cache', async () => {
    const t = tmpDir();
    const stix = t.write('bundle.json', JSON.stringify(STIX_BUNDLE));
    const misp = t.write('event.json', JSON.stringify(MISP_EVENT));
    const log = t.write('app.log', 'connect 198.51.100.7 ok\nconnect 198.51.100.20 ok\n');
    const cache = tmpDir('iochunt-meta-cache-').dir;
    const args = ['scan', '--no-info', '--format', 'none', '--cache-dir', cache, '--iocs', stix, '--iocs', misp, log];
    const first = await runCli(args);
    const second = await runCli(args);
    expect(first.code).toBe(0);
    const strip = (docs: Array<Record<string, any>>) => docs.map((d) => ({ threat: d.threat, tags: d.tags }));
    expect(strip(second.docs)).toEqual(strip(first.docs));
    const [a, b] = first.docs as Array<Record<string, any>>;
    expect(a?.threat.enrichments[0].indicator).toEqual({
      name: '198.51.100.7',
      type: 'ipv4-addr',
      ip: '198.51.100.7',
      description: 'C2 server',
      // STIX 85 is High on the STIX scale ECS uses; the number stays under iochunt.
      confidence: 'High',
      reference: 'https://acme.example/r/1',
      provider: 'ACME CERT',
      marking: { tlp: 'AMBER' },
      first_seen: '2024-01-01T00:00:00.000Z',
      modified_at: '2024-02-01T00:00:00.000Z',
    });
    expect(a?.threat.enrichments[0].iochunt.confidence).toBe(85);
    expect(a?.threat.enrichments[0].feed.name).toBe('ACME CERT');
    expect(a?.tags).toEqual(['c2']);
    expect(b?.threat.enrichments[0].indicator).toMatchObject({ provider: 'CIRCL', marking: { tlp: 'GREEN' }, description: 'C2' });
    expect(b?.threat.enrichments[0].feed.name).toBe('CIRCL');
    expect(b?.threat.enrichments[0].iochunt.feed.path).toBe(misp);
  });

  it('iocs formats lists every reader', async () => {
    const r = await runCli(['iocs', 'formats']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').map((l) => l.split(' ')[0]).filter(Boolean)).toEqual([
      'stix', 'gcp-etd', 'misp-warninglist', 'misp', 'otx', 'zeek-intel', 'csv', 'hosts', 'plain', 'guardduty-txt',
      'guardduty-otx-csv', 'guardduty-alien-vault', 'guardduty-proof-point', 'guardduty-fire-eye',
    ]);
  });
});
