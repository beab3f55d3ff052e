/**
 * The compiled-indicator cache is not trusted: bytes flipped, inserted or
 * removed anywhere in a cache file (magic, header length, header, padding,
 * every body section, checksum, trailer), and headers altered with the
 * checksum recomputed, give either a warning and the right hits (the feeds
 * are loaded again) or the right hits; never a crash, never a missed or
 * false hit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createEngine, type EngineChoice } from '../src/engine/select.js';
import { prepareIndicators } from '../src/indicators/prepare.js';
import { recordingReporter } from '../src/report.js';
import { engineNames } from './helpers/engines.js';
import { tmpDir } from './helpers/tmp.js';

const t = tmpDir('iochunt-cache-fuzz-');
afterAll(() => rmSync(t.dir, { recursive: true, force: true }));
const feed = t.write(
  'feed.txt',
  [
    '203.0.113.9',
    '198.51.100.0/24',
    '2001:db8::/32',
    'evil.example',
    'phish.example',
    'bad_guy@phish.example',
    '44d88612fea8a8f36de82e1230a2b5b2',
    'http://evil.example/payload.exe',
    'malware.test/gate.php',
    'not an indicator',
  ].join('\n') + '\n',
);
const log = Buffer.from(
  [
    'GET from 203.0.113.9 ok',
    'dns query cdn.evil.example A',
    'mail from bad_guy@phish.example',
    'file 44d88612fea8a8f36de82e1230a2b5b2 seen',
    'url http://evil.example/payload.exe fetched',
    'nothing here 110.1.2.3 notevil.example 203.0.113.90',
    'block 198.51.100.77 and 2001:db8:1::5 in range',
    'post malware.test/gate.php?id=1',
  ].join('\n') + '\n',
);

interface Run {
  hits: string[];
  warnings: string[];
  fromCache: boolean;
}

async function run(engine: EngineChoice, cacheDir: string | undefined): Promise<Run> {
  const reporter = recordingReporter();
  const prepared = await prepareIndicators({ iocs: [feed], domainMatch: 'subdomain', strict: false, ...(cacheDir ? { cacheDir } : {}) }, reporter);
  const e = await createEngine(engine, prepared.tables, reporter);
  try {
    prepared.persist?.(e.cacheTables?.() ?? prepared.tables.packed());
    const packed = e.scan(log);
    const hits: string[] = [];
    for (let i = 0; i < packed.length; i += 4) {
      const name = prepared.store.get(packed[i + 3] as number).indicator.name;
      hits.push(`${packed[i + 1]}-${packed[i + 2]} ${name}`);
    }
    return { hits: hits.sort(), warnings: reporter.messages.filter((m) => m.level === 'warn').map((m) => m.message), fromCache: prepared.fromCache };
  } finally {
    e.close();
  }
}

/** Byte positions to mutate: every region of the file, densely at its edges. */
function positions(file: Buffer): number[] {
  const headerLength = file.readUInt32LE(8);
  const header = JSON.parse(file.toString('utf8', 12, 12 + headerLength)) as { sections: Array<{ offset: number; length: number }> };
  const bodyStart = (12 + headerLength + 7) & ~7;
  const at = new Set<number>();
  for (let i = 0; i < 16; i++) at.add(i); // magic, header length, start of header
  for (let i = 12; i < 12 + headerLength; i += Math.max(1, Math.floor(headerLength / 60))) at.add(i);
  at.add(12 + headerLength - 1);
  if (bodyStart > 12 + headerLength) at.add(bodyStart - 1); // padding
  for (const s of header.sections) {
    if (s.length === 0) continue;
    for (const k of [0, 1, s.length >> 1, s.length - 1]) at.add(bodyStart + s.offset + k);
  }
  for (let i = file.length - 11 - 32; i < file.length; i += 3) at.add(i); // digest and trailer
  at.add(file.length - 1);
  return [...at].filter((p) => p >= 0 && p < file.length).sort((a, b) => a - b);
}

/** Header edits with the checksum recomputed: only the structure checks can catch them. */
function resealed(file: Buffer, edit: (h: Record<string, any>) => void): Buffer {
  const headerLength = file.readUInt32LE(8);
  const header = JSON.parse(file.toString('utf8', 12, 12 + headerLength)) as Record<string, any>;
  edit(header);
  let text = JSON.stringify(header);
  // Keep the header length so that the body stays where it is.
  if (text.length > headerLength) return file;
  text = text.padEnd(headerLength, ' ');
  const out = Buffer.from(file);
  out.write(text, 12, 'utf8');
  const digestAt = out.length - 11 - 32;
  createHash('sha256').update(out.subarray(0, digestAt)).digest().copy(out, digestAt);
  return out;
}

describe.each(engineNames())('cache file fuzz (%s engine)', (engine) => {
  it('every flipped, inserted or removed byte: a warning and the right hits, or the right hits', async () => {
    const reference = await run(engine, undefined);
    expect(reference.hits.length).toBeGreaterThanOrEqual(8);
    const dir = t.path(`cache-${engine}`);
    await run(engine, dir);
    const name = readdirSync(dir).find((n) => n.endsWith('.iocc')) as string;
    const file = `${dir}/${name}`;
    const good = readFileSync(file);
    const cached = await run(engine, dir);
    expect(cached.fromCache).toBe(true);
    expect(cached.hits).toEqual(reference.hits);

    const mutants: Array<[string, Buffer]> = [];
    for (const p of positions(good)) {
      for (const mask of [0x01, 0x80]) {
        const m = Buffer.from(good);
        m[p] = (m[p] as number) ^ mask;
        mutants.push([`flip ${mask} at ${p}`, m]);
      }
      mutants.push([`remove byte ${p}`, Buffer.concat([good.subarray(0, p), good.subarray(p + 1)])]);
      mutants.push([`insert byte at ${p}`, Buffer.concat([good.subarray(0, p), Buffer.from([good[p] as number]), good.subarray(p)])]);
    }
    const edits: Array<[string, (h: Record<string, any>) => void]> = [
      ['size + 1', (h) => (h.size += 1)],
      ['size - 1', (h) => (h.size -= 1)],
      ['counts', (h) => (h.counts['ipv4-addr'] += 1)],
      ['no feed names', (h) => (h.feedNames = [])],
      ['section offset', (h) => (h.sections[2].offset += 8)],
      ['section length', (h) => (h.sections[1].length += 1)],
      ['section swapped', (h) => ([h.sections[0].name, h.sections[3].name] = [h.sections[3].name, h.sections[0].name])],
      ['section type', (h) => (h.sections[2].type = 'u8')],
      ['section dropped', (h) => h.sections.pop()],
      ['body length', (h) => (h.bodyLength -= 8)],
      ['domain match', (h) => (h.domainMatch = 'fuzzy')],
      ['warnings', (h) => (h.warnings = 7)],
      ['negative count', (h) => (h.counts['domain-name'] = -1)],
    ];
    for (const [what, edit] of edits) mutants.push([`resealed header: ${what}`, resealed(good, edit)]);
    expect(mutants.length).toBeGreaterThan(200);

    let warned = 0;
    for (const [what, bytes] of mutants) {
      writeFileSync(file, bytes);
      let r: Run;
      try {
        r = await run(engine, dir);
      } catch (err) {
        throw new Error(`${what}: ${String(err)}`);
      }
      expect(r.hits, what).toEqual(reference.hits);
      if (r.fromCache) expect(bytes.equals(good), what).toBe(true);
      else {
        expect(r.warnings.some((w) => /ignoring an unusable indicator cache file/.test(w)), what).toBe(true);
        warned++;
      }
    }
    expect(warned).toBe(mutants.filter(([, b]) => !b.equals(good)).length);
  }, 240_000);
});
