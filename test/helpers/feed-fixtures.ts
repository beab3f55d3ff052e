/** Small feed fixtures shared by the feed tests (written to temporary files by each test). */

export const indicator = (id: number, pattern: string, extra: Record<string, unknown> = {}) => ({
  type: 'indicator',
  spec_version: '2.1',
  id: `indicator--0000000${id}-0000-4000-8000-000000000000`,
  created: '2024-01-01T00:00:00.000Z',
  modified: '2024-02-01T00:00:00.000Z',
  name: `ind ${id}`,
  pattern,
  pattern_type: 'stix',
  valid_from: '2024-01-01T00:00:00Z',
  ...extra,
});

export const STIX_BUNDLE = {
  type: 'bundle',
  id: 'bundle--1',
  objects: [
    { type: 'identity', id: 'identity--1', name: 'ACME CERT', identity_class: 'organization' },
    indicator(1, "[ipv4-addr:value = '198.51.100.7']", {
      description: 'C2 server',
      confidence: 85,
      labels: ['c2'],
      created_by_ref: 'identity--1',
      object_marking_refs: ['marking-definition--f88d31f6-486f-44da-b317-01333bde0b82'],
      external_references: [{ source_name: 'acme', url: 'https://acme.example/r/1' }],
      valid_until: '2030-01-01T00:00:00Z',
    }),
    indicator(2, "[domain-name:value = 'evil.example'] OR [url:value = 'http://bad.example/gate.php']"),
    indicator(3, "[ipv4-addr:value ISSUBSET '203.0.113.0/24' OR ipv6-addr:value = '2001:db8::1']"),
    indicator(4, "[file:hashes.'SHA-256' = '" + 'a'.repeat(64) + "'] OR [file:hashes.MD5 = '" + 'b'.repeat(32) + "']"),
    indicator(5, "[email-addr:value = 'phish@evil.example']"),
    indicator(6, "[ipv4-addr:value = '192.0.2.66']", { revoked: true }),
    indicator(7, "[ipv4-addr:value = '192.0.2.1'] AND [domain-name:value = 'x.example']"),
    indicator(8, "[ipv4-addr:value = '192.0.2.2'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.3']"),
    indicator(9, "[ipv4-addr:value = '192.0.2.4'] WITHIN 300 SECONDS"),
    indicator(10, "[url:value MATCHES '^http://x']"),
    indicator(11, "[process:name = 'evil.exe']"),
    indicator(12, 'rule x { condition: true }', { pattern_type: 'yara' }),
    { type: 'malware', id: 'malware--1', name: 'x', is_family: false },
  ],
};

export const MISP_EVENT = {
  Event: {
    id: '42',
    uuid: '5e1c1f3a-0000-4000-8000-000000000042',
    info: 'Phishing campaign X',
    date: '2024-03-01',
    timestamp: '1709856000',
    Orgc: { name: 'CIRCL' },
    Attribute: [
      { type: 'ip-dst', value: '198.51.100.20', to_ids: true, comment: 'C2' },
      { type: 'ip-dst|port', value: '198.51.100.21|8443', to_ids: true },
      { type: 'domain|ip', value: 'evil-misp.example|198.51.100.22', to_ids: true },
      { type: 'filename|sha256', value: `dropper.exe|${'c'.repeat(64)}`, to_ids: true },
      { type: 'url', value: 'hxxp://bad-misp[.]example/x', to_ids: true },
      { type: 'email-src', value: 'sender@evil-misp.example', to_ids: true },
      { type: 'hostname', value: 'host.evil-misp.example', to_ids: true },
      { type: 'ip-src', value: '198.51.100.30', to_ids: false },
      { type: 'ip-src', value: '198.51.100.31', to_ids: true, deleted: true },
      { type: 'text', value: 'just words', to_ids: false },
      { type: 'regkey', value: 'HKLM\\x', to_ids: true },
    ],
    Object: [{ name: 'file', Attribute: [{ type: 'md5', value: 'd'.repeat(32), to_ids: true }] }],
    Tag: [{ name: 'tlp:green' }, { name: 'misp-galaxy:threat-actor="X"' }],
  },
};

