import { describe, expect, it } from 'vitest';
import { loadFeeds } from '../src/indicators/load.js';
import { tmpDir } from './helpers/tmp.js';

// Fixtures follow the samples in the GuardDuty user guide ("List formats"), plus invalid rows.
const FIRE_EYE_HEADER =
  'reportId, title, threatScape, audience, intelligenceType, publishDate, reportLink, webLink, emailIdentifier, senderAddress, senderName, sourceDomain, sourceIp, subject, recipient, emailLanguage, fileName, fileSize, fuzzyHash, fileIdentifier, md5, sha1, sha256, description, fileType, packer, userAgent, registry, fileCompilationDateTime, filePath, asn, cidr, domain, domainTimeOfLookup, networkIdentifier, ip, port, protocol, registrantEmail, registrantName, networkType, url, malwareFamily, malwareFamilyId, actor, actorId, observationTime';

async function load(format: string, text: string) {
  const t = tmpDir();
  const feed = t.write('list', text);
  const r = await loadFeeds([feed], { format });
  expect(r.feeds[0]?.format).toBe(format);
  const values = r.store.all().map((s) => s.indicator.name).sort();
  return { ...r, values, feed };
}

describe('AWS GuardDuty threat-list formats (named with --iocs-format)', () => {
  it('OTX_CSV: CIDR, IPv4 and domain rows; unknown types and empty indicators are invalid', async () => {
    const { values, invalid, store } = await load(
      'guardduty-otx-csv',
      'Indicator type, Indicator, Description\nCIDR, 192.0.2.0/24, example\nIPv4, 198.51.100.1, example\nIPv4, 203.0.113.1,\nDomain name, example.net, c2 domain\nURL, http://x.example/, nope\nIPv4, , empty\nIPv4, not-an-ip, bad\n',
    );
    expect(values).toEqual(['192.0.2.0/24', '198.51.100.1', '203.0.113.1', 'example.net']);
    expect(invalid.map((i) => i.line)).toEqual([6, 7, 8]);
    expect(invalid[0]?.reason).toMatch(/URL is not supported/);
    const net = store.all().find((s) => s.indicator.name === 'example.net');
    expect(net?.sources[0]?.description).toBe('c2 domain');
  });

  it('ALIEN_VAULT: IP or domain before the first #, type and rating as description', async () => {
    const { values, invalid, store } = await load(
      'guardduty-alien-vault',
      '192.0.2.1#4#2#Malicious Host#KR##37.5111999512,126.974098206#3\n192.0.2.3#4#2##CN#Guangzhou#23.1166992188,113.25#3\nwww.example.com#4#2#Malicious Host#PL##52.2393989563,21.0361995697#3\n198.51.100.7\n#comment\n999.1.1.1#4#2#Malicious Host#US##0.0,0.0#3\n',
    );
    expect(values).toEqual(['192.0.2.1', '192.0.2.3', 'www.example.com']);
    expect(invalid.map((i) => i.line)).toEqual([4, 6]);
    expect(store.all().find((s) => s.indicator.name === '192.0.2.1')?.sources[0]?.description).toBe('Malicious Host (reliability 4, risk 2)');
  });

  it('PROOF_POINT: ip or domain header, first column, seen times; short rows and rows before the header are invalid', async () => {
    const { values, invalid, store } = await load(
      'guardduty-proof-point',
      '198.51.100.9, 1, 100, 2000-01-01, 2000-01-01,\ndomain, category, score, first_seen, last_seen, ports (|)\n198.51.100.1, 1, 100, 2000-01-01, 2000-01-02,\nbad.example.org, 27, 85, 2022-01-25, 2022-01-26, 80|443\n203.0.113.1, 1\n',
    );
    expect(values).toEqual(['198.51.100.1', 'bad.example.org']);
    expect(invalid.map((i) => i.line)).toEqual([1, 5]);
    const s = store.all().find((x) => x.indicator.name === '198.51.100.1')?.sources[0];
    expect(s?.firstSeen).toBe('2000-01-01T00:00:00.000Z');
    expect(s?.lastSeen).toBe('2000-01-02T00:00:00.000Z');
  });

  it('FIRE_EYE: cidr, domain and ip columns with title and link; rows without any are invalid', async () => {
    const blank = (n: number) => Array(n).fill(' ').join(',');
    const { values, invalid, store } = await load(
      'guardduty-fire-eye',
      [
        FIRE_EYE_HEADER,
        `01-00000001, Example, Test, Operational, threat, 1494944400, https://www.example.com/report/01-00000001, https://www.example.com/report/01-00000001, , , , , , , , , , , , , , , , , , , , , , , , 192.0.2.0/24, , , Related, , , , , , network, , Ursnif, 21a14673-0d94-46d3-89ab-8281a0466099, , , 1494944400`,
        `01-00000002, Example, Test, Operational, threat, 1494944400, https://www.example.com/report/01-00000002, https://www.example.com/report/01-00000002, , , , , , , , , , , , , , , , , , , , , , , , , , , Related, 198.51.100.1, , , , , network, , Ursnif, 12ab7bc4-62ed-49fa-99e3-14b92afc41bf, , ,1494944400`,
        ` 01-00000002, "Malicious domain, observed in test", Test, Operational, threat, 1494944400, https://www.example.com/report/01-00000002,https://www.example.com/report/01-00000002,,,,,,,,,,,,,,,,,,,,,,,, 203.0.113.0/24, example.com,, Related, 203.0.113.0, 8080, UDP,,, network,, Ursnif, fc13984c-c767-40c9-8329-f4c59557f73b,,, 1494944400`,
        `01-00000004, Nothing, Test, Operational, threat, 1494944400,${blank(40)}`,
        '',
      ].join('\n'),
    );
    expect(values).toEqual(['192.0.2.0/24', '198.51.100.1', '203.0.113.0', '203.0.113.0/24', 'example.com']);
    expect(invalid.map((i) => i.line)).toEqual([5]);
    const s = store.all().find((x) => x.indicator.name === 'example.com')?.sources[0];
    expect(s?.description).toBe('Malicious domain, observed in test');
    expect(s?.reference).toBe('https://www.example.com/report/01-00000002');
    expect(s?.firstSeen).toBe('2017-05-16T14:20:00.000Z');
  });

  it('FIRE_EYE rows before the header are invalid', async () => {
    const { invalid, values } = await load('guardduty-fire-eye', '01-1, x, , , , , , , 192.0.2.1\n');
    expect(values).toEqual([]);
    expect(invalid[0]?.reason).toMatch(/header/);
  });

  it('these formats are never detected by content', async () => {
    const t = tmpDir();
    const feed = t.write('av.txt', '192.0.2.1#4#2#Malicious Host#KR##37.5,126.9#3\n');
    const { feeds } = await loadFeeds([feed]);
    expect(feeds[0]?.format).not.toMatch(/^guardduty/);
  });
});
