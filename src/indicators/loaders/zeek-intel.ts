/**
 * Zeek Intel framework input files: a `#fields` header naming
 * tab-separated columns (`indicator`, `indicator_type`, `meta.source`,
 * `meta.desc`, `meta.url`, ...), then one indicator per line. Types:
 * `Intel::ADDR`, `SUBNET`, `DOMAIN`, `URL` (stored without a scheme, so it
 * becomes a scheme-less URL indicator), `EMAIL`, `FILE_HASH` and
 * `CERT_HASH`. `-` is an unset field. A row with `meta.whitelist` `T` is an
 * allowlist entry: skipped (counted) as an indicator, used by `--allow`.
 */
import type { DeclaredType, RawEntry } from '../types.js';
import type { BadRecord, FeedReader } from './feed-reader.js';
import { textLines } from './text-lines.js';

const TYPES: Readonly<Record<string, DeclaredType>> = {
  'Intel::ADDR': 'ip',
  'Intel::SUBNET': 'cidr',
  'Intel::DOMAIN': 'domain-name',
  'Intel::URL': 'url',
  'Intel::EMAIL': 'email-addr',
  'Intel::FILE_HASH': 'hash',
  'Intel::CERT_HASH': 'hash',
};

/** True when a Zeek field is unset or empty. */
function unset(v: string | undefined): boolean {
  return v === undefined || v === '' || v === '-' || v === '(empty)';
}

export const zeekIntelReader: FeedReader = {
  name: 'zeek-intel',
  description: 'Zeek Intel framework TSV (#fields indicator indicator_type meta.*): ADDR, SUBNET, DOMAIN, URL, EMAIL, FILE_HASH',
  sniff: (head) => /^#fields\t(?:[^\n]*\t)?indicator\t/m.test(head) && /(^|\t)indicator_type(\t|\r?$)/m.test(head),
  async *read(chunks, _head, options = {}): AsyncGenerator<RawEntry | BadRecord> {
    let fields: string[] = [];
    for await (const { text, line } of textLines(chunks)) {
      if (text.startsWith('#fields\t')) {
        fields = text.slice(8).split('\t');
        continue;
      }
      if (text.startsWith('#') || text.trim() === '') continue;
      const cols = text.split('\t');
      const get = (name: string): string | undefined => {
        const i = fields.indexOf(name);
        const v = i >= 0 ? cols[i] : undefined;
        return unset(v) ? undefined : v;
      };
      const value = get('indicator') ?? '';
      const type = get('indicator_type') ?? '';
      if (fields.length === 0) {
        yield { bad: true, line, value: text, reason: 'Zeek intel row before the #fields header' };
        continue;
      }
      const declaredType = TYPES[type];
      if (!declaredType) {
        yield { bad: true, line, value, reason: `Zeek intel type "${type}" is not an indicator iochunt matches`, policy: true };
        continue;
      }
      if (get('meta.whitelist') === 'T' && !options.allowlist) {
        yield { bad: true, line, value, reason: 'meta.whitelist is T (an allowlist entry; use it with --allow)', policy: true };
        continue;
      }
      const desc = get('meta.desc');
      const url = get('meta.url');
      const source = get('meta.source');
      yield {
        value,
        line,
        declaredType,
        ...(desc ? { description: desc } : {}),
        ...(url ? { reference: url } : {}),
        ...(source ? { provider: source } : {}),
      };
    }
  },
};
