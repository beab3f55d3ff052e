import { describe, expect, it } from 'vitest';
import { loadFeeds } from '../src/indicators/load.js';
import { SAMPLES } from './helpers/samples.js';
import { tmpDir } from './helpers/tmp.js';


describe('CSV indicator lists', () => {
  it('reads the value column, type, description, severity, confidence and reference', async () => {
    const t = tmpDir();
    const feed = t.write(
      'feed.csv',
      'indicator,type,description,severity,confidence,reference\n' +
        '10.1.2.3,ip,"C2, primary",high,80,https://ref.example/1\n' +
        'evil.example,domain,phishing,,,\n' +
        '"http://bad.example/a,b",url,,,,\n',
    );
    const { store, feeds, invalid } = await loadFeeds([feed]);
    expect(invalid).toEqual([]);
    expect(feeds[0]?.format).toBe('csv');
    expect(store.all().map((s) => [s.indicator.type, s.indicator.name])).toEqual([
      ['ipv4-addr', '10.1.2.3'],
      ['domain-name', 'evil.example'],
      ['url', 'http://bad.example/a,b'],
    ]);
    expect(store.get(0).sources[0]).toEqual({
      feed,
      line: 2,
      description: 'C2, primary',
      severity: 'high',
      confidence: '80',
      reference: 'https://ref.example/1',
    });
  });

  it('infers the type when the column is absent and rejects a contradicting type', async () => {
    const t = tmpDir();
    const feed = t.write('f.csv', 'ioc,type\r\n10.1.2.3,\r\nevil.example,ipv4\r\nd41d8cd98f00b204e9800998ecf8427e,md5\r\nx,Mutex\r\n');
    const { store, invalid } = await loadFeeds([feed]);
    expect(store.all().map((s) => s.indicator.name)).toEqual(['10.1.2.3', 'd41d8cd98f00b204e9800998ecf8427e']);
    expect(invalid.map((i) => [i.line, i.reason])).toEqual([
      [3, 'not an IP address'],
      [5, 'unsupported indicator type "Mutex"'],
    ]);
  });

  it('reads typed value columns, a BOM, quoted commas and defanged values (Unit 42 bitter)', async () => {
    const { store, invalid } = await loadFeeds([`${SAMPLES}ti-feeds/unit42/bitter.iocs.csv`]);
    // Only the C2 column's placeholders are not indicators.
    expect(invalid.map((i) => [i.line, i.value])).toEqual([
      [36, 'Unknown'],
      [41, '[CORRUPT]'],
      [45, '[CORRUPT]'],
    ]);
    expect(store.countsByType().file).toBeGreaterThan(200);
    expect(store.find('domain-name', 'frameworksupport.net')).toBeDefined();
    // Line 81 lists two C2 domains in one cell: both load, nothing is skipped.
    expect(store.find('domain-name', 'red5big.com')).toBeDefined();
    expect(store.find('domain-name', 'wills.hairparker.com')).toBeDefined();
  });

  it('reads a Type,Indicator CSV and explains the types it cannot use (Unit 42 MuddyWater)', async () => {
    const { store, invalid } = await loadFeeds([`${SAMPLES}ti-feeds/unit42/MuddyWater.csv`]);
    const counts = store.countsByType();
    // Two of the 15 IPs carry a port (192.168.1.104:54863): the address is the indicator.
    expect(counts['ipv4-addr']).toBe(15);
    expect(store.find('ipv4-addr', '192.168.1.104')).toBeDefined();
    expect(counts.url).toBeGreaterThan(90);
    expect(invalid.filter((i) => i.reason === 'unsupported indicator type "Filename"')).toHaveLength(31);
  });

  it('takes the header from the last comment line (abuse.ch dump style)', async () => {
    const t = tmpDir();
    const feed = t.write(
      'urlhaus.csv',
      '################\n# abuse.ch URLhaus\n################\n' +
        '# id,dateadded,url,url_status,threat,tags,urlhaus_link\n' +
        '"1","2024-01-01","http://1.2.3.4:80/i","online","malware_download","elf,mozi","https://urlhaus.abuse.ch/url/1/"\n',
    );
    const { store, invalid } = await loadFeeds([feed]);
    expect(invalid).toEqual([]);
    expect(store.all().map((s) => s.indicator.name)).toEqual(['http://1.2.3.4/i']);
    expect(store.get(0).sources[0]?.reference).toBe('https://urlhaus.abuse.ch/url/1/');
  });

  it('does not mistake a plain list for a CSV', async () => {
    const t = tmpDir();
    const feed = t.write('plain.txt', '# comment\n10.1.2.3\nevil.example\n');
    const { feeds } = await loadFeeds([feed]);
    expect(feeds[0]?.format).toBe('plain');
  });
});
