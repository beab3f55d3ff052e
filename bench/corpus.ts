/**
 * Deterministic test and benchmark corpus: indicator sets of every type, and
 * log lines (Apache combined, AWS VPC flow, BIND query log, syslog/sshd and
 * postfix, JSON lines) with planted indicators in varied spellings and decoys
 * that must not match. Every line comes with the exact set of indicators it
 * must hit, so precision and recall can be checked exactly.
 *
 * Background values never touch an indicator by construction: background
 * addresses are in 10.0.0.0/8, indicator addresses are public; background
 * names come from a fixed dictionary, indicator names are random.
 */

/** A small, fast, seedable PRNG (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(16)];
    return s;
  }
  word(min: number, max: number): string {
    const n = min + this.int(max - min + 1);
    let s = '';
    for (let i = 0; i < n; i++) s += 'abcdefghijklmnopqrstuvwxyz'[this.int(26)];
    return s;
  }
}

export type LogFormat = 'apache' | 'vpcflow' | 'dns' | 'syslog' | 'jsonl';
export const LOG_FORMATS: readonly LogFormat[] = ['apache', 'vpcflow', 'dns', 'syslog', 'jsonl'];

export interface IndicatorCounts {
  ipv4: number;
  cidr4: number;
  ipv6: number;
  cidr6: number;
  domains: number;
  urls: number;
  hashes: number;
  emails: number;
}

/** An indicator: the text written to the feed and its canonical name as iochunt reports it. */
export interface Ioc {
  readonly feed: string;
  readonly name: string;
}

export interface IndicatorSet {
  readonly ipv4: Ioc[];
  readonly cidr4: Array<Ioc & { base: number; size: number }>;
  readonly ipv6: Array<Ioc & { groups: number[] }>;
  readonly cidr6: Array<Ioc & { prefix: number[] }>;
  readonly domains: Ioc[];
  readonly urls: Array<Ioc & { host: string; path: string }>;
  readonly hashes: Ioc[];
  readonly emails: Ioc[];
  /** Every IPv4 address value in use (indicators), for collision checks. */
  readonly ipv4Values: Set<number>;
}

const ip4 = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const TLDS = ['com', 'net', 'org', 'io', 'ru', 'info', 'biz', 'xyz'];

function publicIp(rng: Rng): number {
  // 11.0.0.0 – 99.255.255.255 minus nothing special; far from 10/8 and from the CIDR area (198.18/15).
  return ((11 + rng.int(89)) * 2 ** 24 + rng.int(2 ** 24)) >>> 0;
}

function v6name(groups: number[]): string {
  // RFC 5952: compress the longest run of zero groups (length >= 2).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Builds a random indicator set of the given size. */
export function makeIndicators(rng: Rng, counts: IndicatorCounts): IndicatorSet {
  const ipv4Values = new Set<number>();
  const ipv4: Ioc[] = [];
  while (ipv4.length < counts.ipv4) {
    const n = publicIp(rng);
    if (ipv4Values.has(n)) continue;
    ipv4Values.add(n);
    ipv4.push({ feed: ip4(n), name: ip4(n) });
  }
  // CIDR blocks: /24s inside 198.18.0.0/15 and 100.64.0.0/10, spaced so neighbours are never listed.
  const cidr4: IndicatorSet['cidr4'] = [];
  const usedBlocks = new Set<number>();
  // 256 + 8192 even /24s in the two areas.
  if (counts.cidr4 > 8448) throw new RangeError(`at most 8448 IPv4 CIDR indicators can be generated, not ${counts.cidr4}`);
  while (cidr4.length < counts.cidr4) {
    const area = rng.chance(0.5) ? (198 * 2 ** 24 + 18 * 2 ** 16) >>> 0 : (100 * 2 ** 24 + 64 * 2 ** 16) >>> 0;
    const areaBlocks = area >>> 24 === 198 ? 512 : 16384;
    const k = rng.int(areaBlocks / 2) * 2; // even /24s only: the odd neighbour is never listed
    const base = (area + k * 256) >>> 0;
    if (usedBlocks.has(base)) continue;
    usedBlocks.add(base);
    const feed = rng.chance(0.3) ? `${ip4(base + 1 + rng.int(200))}/24` : `${ip4(base)}/24`;
    cidr4.push({ feed, name: `${ip4(base)}/24`, base, size: 256 });
  }
  const ipv6: IndicatorSet['ipv6'] = [];
  const seen6 = new Set<string>();
  while (ipv6.length < counts.ipv6) {
    const groups = [0x2001, 0xdb8, rng.int(65536), 0, 0, rng.chance(0.5) ? 0 : rng.int(65536), rng.int(65536), 1 + rng.int(65535)];
    const name = v6name(groups);
    if (seen6.has(name)) continue;
    seen6.add(name);
    ipv6.push({ feed: rng.chance(0.3) ? name.toUpperCase() : name, name, groups });
  }
  const cidr6: IndicatorSet['cidr6'] = [];
  while (cidr6.length < counts.cidr6) {
    const prefix = [0x2a0b, rng.int(65536) & 0xfffe, rng.int(65536)];
    const name = `${v6name([...prefix, 0, 0, 0, 0, 0])}/48`;
    if (seen6.has(name)) continue;
    seen6.add(name);
    cidr6.push({ feed: name, name, prefix });
  }
  const seenNames = new Set<string>();
  const randomDomain = (): string => {
    for (;;) {
      const d = `${rng.word(6, 12)}${rng.chance(0.2) ? `-${rng.word(2, 5)}` : ''}.${rng.pick(TLDS)}`;
      if (!seenNames.has(d)) {
        seenNames.add(d);
        return d;
      }
    }
  };
  const domains: Ioc[] = [];
  while (domains.length < counts.domains) {
    const d = randomDomain();
    const feed = rng.chance(0.2) ? d.replace(/\.([a-z]+)$/, '[.]$1') : rng.chance(0.1) ? d.toUpperCase() : d;
    domains.push({ feed, name: d });
  }
  const urls: IndicatorSet['urls'] = [];
  while (urls.length < counts.urls) {
    const host = randomDomain();
    const path = `/${rng.word(3, 8)}/${rng.word(4, 10)}.${rng.pick(['php', 'exe', 'zip', 'js'])}`;
    const scheme = rng.pick(['http', 'https']);
    const name = `${scheme}://${host}${path}`;
    const feed = rng.chance(0.3) ? name.replace(/^http/, 'hxxp').replace(/\.([a-z]+)\//, '[.]$1/') : name;
    urls.push({ feed, name, host, path });
  }
  const hashes: Ioc[] = [];
  while (hashes.length < counts.hashes) {
    const h = rng.hex(rng.pick([32, 40, 64, 64]));
    if (seenNames.has(h)) continue;
    seenNames.add(h);
    hashes.push({ feed: rng.chance(0.2) ? h.toUpperCase() : h, name: h });
  }
  const emails: Ioc[] = [];
  while (emails.length < counts.emails) {
    // `_` keeps the local part from forming a dotted name that could look like a domain indicator.
    const e = `${rng.word(4, 9)}_${rng.word(3, 7)}@${randomDomain()}`;
    emails.push({ feed: e, name: e });
  }
  return { ipv4, cidr4, ipv6, cidr6, domains, urls, hashes, emails, ipv4Values };
}

/** The feed text: one indicator per line, with a comment and blank line or two. */
export function feedText(set: IndicatorSet, pick: (ioc: Ioc, index: number) => boolean = () => true): string {
  const lines = ['# iochunt benchmark/test feed'];
  let i = 0;
  for (const group of [set.ipv4, set.cidr4, set.ipv6, set.cidr6, set.domains, set.urls, set.hashes, set.emails]) {
    for (const ioc of group) if (pick(ioc, i++)) lines.push(ioc.feed);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** Only the IPs and domains, as literal strings for `grep -F -f` and `rg -F -f`. */
export function literalsText(set: IndicatorSet): string {
  const all = [...set.ipv4, ...set.ipv6, ...set.domains, ...set.urls, ...set.hashes, ...set.emails].map((i) => i.name);
  return `${all.join('\n')}\n`;
}

// ---------------------------------------------------------------------------
// Log lines

const BG_HOSTS = ['www.example.com', 'cdn.example.net', 'api.example.org', 'static.example.com', 'login.example.net'];
const BG_PATHS = ['/index.html', '/api/v1/items', '/static/app.js', '/favicon.ico', '/search?q=shoes', '/img/logo.png'];
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
  'curl/8.4.0',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const USERS = ['root', 'admin', 'ubuntu', 'deploy', 'git', 'oracle', 'test'];

function bgIp(rng: Rng): string {
  return `10.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`;
}

/** A value placed in a line: its text and the indicators it must hit. */
interface Piece {
  text: string;
  hits: string[];
}

const none = (text: string): Piece => ({ text, hits: [] });

export interface LineOptions {
  /** Probability that a line carries a planted indicator. */
  hitRate: number;
  /** Probability that a line carries a decoy. */
  decoyRate: number;
  /**
   * Apache only: probability that a line whose referer is not planted
   * otherwise has a referer on the set's first domain indicator (as
   * `https://DOMAIN/...` or `https://www.DOMAIN/...`), which then hits: the
   * dense workload of a site whose own domain is in the feed. Off (and no
   * random draw made, so the other lines stay as they were) when undefined.
   */
  refererHitRate?: number;
}

/** A generated log line with the canonical names it must hit (sorted, unique). */
export interface GeneratedLine {
  readonly text: string;
  readonly hits: readonly string[];
}

type Kind = 'ip' | 'domain' | 'url' | 'hash' | 'email';

class Planter {
  constructor(
    private readonly rng: Rng,
    private readonly set: IndicatorSet,
  ) {}

  private v6Spelling(groups: number[]): string {
    const r = this.rng.int(4);
    if (r === 0) return v6name(groups);
    if (r === 1) return v6name(groups).toUpperCase();
    if (r === 2) return groups.map((g) => g.toString(16).padStart(4, '0')).join(':');
    return groups.map((g) => g.toString(16)).join(':');
  }

  private inCidr4(n: number): boolean {
    for (const c of this.set.cidr4) if (n >= c.base && n < c.base + c.size) return true;
    return false;
  }

  private freeIp4(n: number): boolean {
    return !this.set.ipv4Values.has(n) && !this.inCidr4(n) && (n >>> 24) !== 10;
  }

  /** An address that hits, in one of its spellings. */
  ip(): Piece {
    const s = this.set;
    const r = this.rng.int(10);
    if (r < 5 && s.ipv4.length > 0) {
      const ioc = this.rng.pick(s.ipv4);
      return { text: this.rng.chance(0.1) ? `::ffff:${ioc.name}` : ioc.name, hits: [ioc.name] };
    }
    if (r < 7 && s.cidr4.length > 0) {
      const c = this.rng.pick(s.cidr4);
      return { text: ip4(c.base + this.rng.int(256)), hits: [c.name] };
    }
    if (r < 9 && s.ipv6.length > 0) {
      const ioc = this.rng.pick(s.ipv6);
      return { text: this.v6Spelling(ioc.groups), hits: [ioc.name] };
    }
    if (s.cidr6.length > 0) {
      const c = this.rng.pick(s.cidr6);
      const groups = [...c.prefix, this.rng.int(65536), 0, this.rng.int(65536), 0, 1 + this.rng.int(65535)];
      return { text: this.v6Spelling(groups), hits: [c.name] };
    }
    return this.ipDecoy();
  }

  /** An address that looks close to an indicator and must not hit. */
  ipDecoy(): Piece {
    const s = this.set;
    for (;;) {
      const r = this.rng.int(6);
      if (r === 0 && s.ipv4.length > 0) {
        const n = this.set.ipv4Values.size ? this.rng.pick(s.ipv4).name : '1.1.1.1';
        const parts = n.split('.').map(Number);
        if ((parts[0] as number) <= 15) {
          const cand = `1${n}`;
          const v = cand.split('.').map(Number);
          const num = ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0;
          if (this.freeIp4(num)) return none(cand);
        }
        continue;
      }
      if (r === 1 && s.ipv4.length > 0) return none(`${this.rng.pick(s.ipv4).name}.${1 + this.rng.int(9)}`);
      if (r === 2 && s.ipv4.length > 0) {
        const n = this.rng.pick(s.ipv4).name;
        const last = Number(n.split('.')[3]);
        if (last <= 25) {
          const cand = `${n}${this.rng.int(10)}`;
          const v = cand.split('.').map(Number);
          if ((v[3] as number) <= 255) {
            const num = ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0;
            if (this.freeIp4(num)) return none(cand);
          }
        }
        continue;
      }
      if (r === 3 && s.cidr4.length > 0) {
        const c = this.rng.pick(s.cidr4);
        return none(ip4(c.base + 256 + this.rng.int(256))); // the odd neighbour /24 is never listed
      }
      if (r === 4 && s.ipv6.length > 0) {
        const ioc = this.rng.pick(s.ipv6);
        const g = [...ioc.groups];
        g[7] = ((g[7] as number) + 1) & 0xffff || 1;
        const name = v6name(g);
        if (s.ipv6.some((x) => x.name === name)) continue;
        return none(name);
      }
      if (r === 5 && s.ipv4.length > 0) return none(`v${this.rng.pick(s.ipv4).name}`);
      if (s.ipv4.length === 0 && s.ipv6.length === 0 && s.cidr4.length === 0) return none(bgIp(this.rng));
    }
  }

  domain(): Piece {
    const s = this.set;
    if (s.domains.length === 0) return none(this.rng.pick(BG_HOSTS));
    const ioc = this.rng.pick(s.domains);
    let text = ioc.name;
    const r = this.rng.int(5);
    if (r === 1) text = `${this.rng.word(2, 6)}.${text}`;
    if (r === 2) text = text.toUpperCase();
    if (r === 3) text = `cdn.${this.rng.word(3, 5)}.${text}`;
    return { text, hits: [ioc.name] };
  }

  domainDecoy(): Piece {
    const s = this.set;
    if (s.domains.length === 0) return none(this.rng.pick(BG_HOSTS));
    const ioc = this.rng.pick(s.domains);
    const r = this.rng.int(3);
    if (r === 0) return none(`not${ioc.name}`);
    if (r === 1) return none(`${ioc.name}.example`);
    return none(`${ioc.name.split('.')[0]}-x.${ioc.name.split('.').slice(1).join('.')}`);
  }

  url(): Piece {
    const s = this.set;
    if (s.urls.length === 0) return none(`https://${this.rng.pick(BG_HOSTS)}${this.rng.pick(BG_PATHS)}`);
    const ioc = this.rng.pick(s.urls);
    const scheme = ioc.name.startsWith('https') ? 'https' : 'http';
    let text = ioc.name;
    const r = this.rng.int(4);
    if (r === 1) text = `${scheme.toUpperCase()}://${ioc.host.toUpperCase()}${ioc.path}`;
    if (r === 2) text = `${scheme}://${ioc.host}:${scheme === 'https' ? 443 : 80}${ioc.path}`;
    if (r === 3) text = `${ioc.name}?id=${this.rng.int(1000)}`;
    return { text, hits: [ioc.name] };
  }

  urlDecoy(): Piece {
    const s = this.set;
    if (s.urls.length === 0) return none(`https://${this.rng.pick(BG_HOSTS)}/`);
    const ioc = this.rng.pick(s.urls);
    const r = this.rng.int(3);
    if (r === 0) return none(`${ioc.name}x`);
    if (r === 1) return none(ioc.name.startsWith('https') ? ioc.name.replace('https', 'http') : ioc.name.replace('http', 'https'));
    return none(`${ioc.host}${ioc.path}`);
  }

  hash(): Piece {
    const s = this.set;
    if (s.hashes.length === 0) return none(this.rng.hex(64));
    const ioc = this.rng.pick(s.hashes);
    return { text: this.rng.chance(0.3) ? ioc.name.toUpperCase() : ioc.name, hits: [ioc.name] };
  }

  hashDecoy(): Piece {
    const s = this.set;
    if (s.hashes.length === 0) return none(this.rng.hex(64));
    const ioc = this.rng.pick(s.hashes);
    return this.rng.chance(0.5) ? none(`${ioc.name}${this.rng.hex(1)}`) : none(`x${ioc.name}`);
  }

  email(): Piece {
    const s = this.set;
    if (s.emails.length === 0) return none('someone@example.com');
    const ioc = this.rng.pick(s.emails);
    // The e-mail's domain is random and never a domain indicator, so it hits only as an e-mail.
    return { text: this.rng.chance(0.3) ? ioc.name.toUpperCase() : ioc.name, hits: [ioc.name] };
  }

  emailDecoy(): Piece {
    const s = this.set;
    if (s.emails.length === 0) return none('someone@example.com');
    return none(`x${this.rng.pick(s.emails).name}`);
  }

  piece(kind: Kind, mode: 'hit' | 'decoy' | 'clean', clean: () => string): Piece {
    if (mode === 'clean') return none(clean());
    switch (kind) {
      case 'ip':
        return mode === 'hit' ? this.ip() : this.ipDecoy();
      case 'domain':
        return mode === 'hit' ? this.domain() : this.domainDecoy();
      case 'url':
        return mode === 'hit' ? this.url() : this.urlDecoy();
      case 'hash':
        return mode === 'hit' ? this.hash() : this.hashDecoy();
      case 'email':
        return mode === 'hit' ? this.email() : this.emailDecoy();
    }
  }
}

function line(parts: Array<string | Piece>): GeneratedLine {
  let text = '';
  const hits = new Set<string>();
  for (const p of parts) {
    if (typeof p === 'string') text += p;
    else {
      text += p.text;
      for (const h of p.hits) hits.add(h);
    }
  }
  return { text, hits: [...hits].sort() };
}

/** Generates log lines of `format`, each with the indicators it must hit. */
export class LineGenerator {
  private readonly planter: Planter;
  private t = Date.UTC(2024, 2, 1, 0, 0, 0);

  constructor(
    private readonly rng: Rng,
    private readonly set: IndicatorSet,
    private readonly format: LogFormat,
    private readonly options: LineOptions,
  ) {
    this.planter = new Planter(rng, set);
  }

  private mode(): 'hit' | 'decoy' | 'clean' {
    const x = this.rng.next();
    if (x < this.options.hitRate) return 'hit';
    if (x < this.options.hitRate + this.options.decoyRate) return 'decoy';
    return 'clean';
  }

  private tick(): Date {
    this.t += this.rng.int(2000);
    return new Date(this.t);
  }

  next(): GeneratedLine {
    const rng = this.rng;
    const p = this.planter;
    const mode = this.mode();
    // Which slots get the planted value (one or two per hit line).
    const kinds: Kind[] = ['ip', 'domain', 'url', 'hash', 'email'];
    const slot = rng.pick(kinds);
    const second = rng.chance(0.15) ? rng.pick(kinds) : undefined;
    const val = (kind: Kind, clean: () => string): Piece =>
      p.piece(kind, kind === slot || kind === second ? mode : 'clean', clean);
    const d = this.tick();
    switch (this.format) {
      case 'apache': {
        const ts = `${String(d.getUTCDate()).padStart(2, '0')}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${d.toISOString().slice(11, 19)} +0000`;
        const client = val('ip', () => bgIp(rng));
        let url = val('url', () => `https://${rng.pick(BG_HOSTS)}${rng.pick(BG_PATHS)}`);
        const dense = this.options.refererHitRate;
        const site = this.set.domains[0];
        if (dense !== undefined && site && !(mode !== 'clean' && (slot === 'url' || second === 'url')) && rng.chance(dense)) {
          url = { text: `https://${rng.chance(0.5) ? '' : 'www.'}${site.name}${rng.pick(BG_PATHS)}`, hits: [site.name] };
        }
        const host = val('domain', () => rng.pick(BG_HOSTS));
        const hash = val('hash', () => rng.hex(12));
        const user = val('email', () => '-');
        return line([
          client,
          ' - ',
          user,
          ` [${ts}] "GET ${rng.pick(BG_PATHS)}${rng.chance(0.5) ? '' : '&'}h=`,
          hash,
          ` HTTP/1.1" ${rng.pick(['200', '200', '304', '404'])} ${rng.int(50000)} "`,
          url,
          '" "',
          rng.pick(UAS),
          '" vhost=',
          host,
        ]);
      }
      case 'vpcflow': {
        const src = val('ip', () => bgIp(rng));
        const dst = rng.chance(0.5) ? none(bgIp(rng)) : val('ip', () => bgIp(rng));
        const start = Math.floor(d.getTime() / 1000);
        return line([
          `2 123456789012 eni-${rng.hex(17)} `,
          src,
          ' ',
          dst,
          ` ${rng.int(65536)} ${rng.pick([22, 80, 443, 3389, 53])} 6 ${1 + rng.int(100)} ${rng.int(100000)} ${start} ${start + 60} ${rng.pick(['ACCEPT', 'REJECT'])} OK`,
        ]);
      }
      case 'dns': {
        const name = val('domain', () => rng.pick(BG_HOSTS));
        const client = val('ip', () => bgIp(rng));
        const ts = `${String(d.getUTCDate()).padStart(2, '0')}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${d.toISOString().slice(11, 23)}`;
        return line([ts, ` queries: info: client @0x7f${rng.hex(10)} `, client, `#${rng.int(65536)} (`, name, '): query: ', name.hits.length ? { text: name.text, hits: [] } : name.text, ` IN ${rng.pick(['A', 'AAAA', 'MX', 'TXT'])} + (10.0.0.53)`]);
      }
      case 'syslog': {
        const ts = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
        if (rng.chance(0.5)) {
          const ip = val('ip', () => bgIp(rng));
          return line([ts, ` host${rng.int(10)} sshd[${rng.int(99999)}]: Failed password for invalid user ${rng.pick(USERS)} from `, ip, ` port ${rng.int(65536)} ssh2`]);
        }
        const from = val('email', () => `${rng.pick(USERS)}@example.com`);
        const relay = val('domain', () => rng.pick(BG_HOSTS));
        return line([ts, ` mx1 postfix/smtpd[${rng.int(99999)}]: NOQUEUE: reject: RCPT from `, relay, '[10.1.1.1]: 554 5.7.1; from=<', from, '> proto=ESMTP']);
      }
      case 'jsonl': {
        const src = val('ip', () => bgIp(rng));
        const url = val('url', () => `https://${rng.pick(BG_HOSTS)}${rng.pick(BG_PATHS)}`);
        const hash = val('hash', () => rng.hex(16));
        const user = val('email', () => `${rng.pick(USERS)}@example.com`);
        const dom = val('domain', () => rng.pick(BG_HOSTS));
        return line([
          `{"ts":"${d.toISOString()}","src":"`,
          src,
          '","url":"',
          url,
          '","sha":"',
          hash,
          '","user":"',
          user,
          '","dns":"',
          dom,
          `","bytes":${rng.int(100000)}}`,
        ]);
      }
    }
  }
}
