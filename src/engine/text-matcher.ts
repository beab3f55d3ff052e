/**
 * The matching core applied to single texts: `iocs check VALUE` and
 * allowlists run the engine over a text exactly as `scan` runs it over a
 * line, so that what they say is by construction what `scan` does (URL
 * indicators without a query match any query, scheme-less URL indicators
 * match under any scheme, an address matches inside a URL, escapes are
 * read decoded, …). The TypeScript engine is used: the native one returns
 * the same hits (differential tests), and these texts are short.
 */
import type { IndicatorStore, StoredIndicator } from '../indicators/store.js';
import { compileIndicators, type DomainMatch } from './compile.js';
import { matchedText } from './escapes.js';
import { JsEngine } from './js/js-engine.js';

/** How an indicator covers the text it matched. */
export type CoverHow = 'exact' | 'cidr' | 'parent-domain';

/** One indicator the engine found in a text. */
export interface TextHit {
  readonly stored: StoredIndicator;
  /** UTF-8 byte offsets of the match in the text. */
  readonly start: number;
  readonly end: number;
  /** The matched text as hits show it (`matched.atomic`, decoded). */
  readonly matched: string;
  readonly how: CoverHow;
}

function howOf(stored: StoredIndicator, matched: string): CoverHow {
  const ind = stored.indicator;
  switch (ind.type) {
    case 'ipv4-addr':
    case 'ipv6-addr':
      return ind.ip.prefix === (ind.ip.version === 4 ? 32 : 128) ? 'exact' : 'cidr';
    case 'domain-name': {
      const m = matched.toLowerCase().replace(/\.+$/, '');
      return ind.keys.includes(m) ? 'exact' : 'parent-domain';
    }
    default:
      return 'exact';
  }
}

/** Finds the indicators of a store in texts, with the rules of `scan`. */
export class TextMatcher {
  private readonly engine: JsEngine | undefined;

  constructor(
    private readonly store: IndicatorStore,
    domainMatch: DomainMatch = 'subdomain',
  ) {
    this.engine = store.size > 0 ? new JsEngine(compileIndicators(store, { domainMatch })) : undefined;
  }

  /** Every indicator found in `text` (read as one line), in the order of the hits; one entry per indicator and span. */
  find(text: string): TextHit[] {
    if (!this.engine) return [];
    const buf = Buffer.from(text.replace(/[\r\n]+/g, ' '), 'utf8');
    const hits = this.engine.scan(buf);
    const out: TextHit[] = [];
    for (let i = 0; i < hits.length; i += 4) {
      const start = hits[i + 1] as number;
      const end = hits[i + 2] as number;
      const stored = this.store.get(hits[i + 3] as number);
      const matched = matchedText(buf.subarray(start, end));
      out.push({ stored, start, end, matched, how: howOf(stored, matched) });
    }
    return out;
  }
}

/**
 * The spans of `text` (UTF-8 byte offsets) that stand for the whole of it
 * when an allowlist judges it: the whole text, and for a URL its host (an
 * allowlisted domain or address covers the URLs on that host), for an
 * e-mail address its domain.
 */
export function representativeSpans(text: string): Array<[number, number]> {
  const buf = Buffer.from(text, 'utf8');
  const spans: Array<[number, number]> = [[0, buf.length]];
  const s = buf.toString('latin1');
  const sep = /^[A-Za-z][A-Za-z0-9+.-]*:(\/\/|\\\/\\\/)/.exec(s);
  if (sep) {
    const body = sep[0].length;
    let end = body;
    while (end < s.length && !'/\\?#'.includes(s[end] as string)) end++;
    let host = body;
    const at = s.lastIndexOf('@', end - 1);
    if (at >= body) host = at + 1;
    let hostEnd = end;
    if (s[host] === '[') {
      const close = s.indexOf(']', host);
      if (close > host && close < end) {
        spans.push([host + 1, close]);
        return spans;
      }
    }
    const colon = s.lastIndexOf(':', end - 1);
    if (colon >= host && /^\d*$/.test(s.slice(colon + 1, end))) hostEnd = colon;
    spans.push([host, hostEnd]);
    if (hostEnd > host && s[hostEnd - 1] === '.') spans.push([host, hostEnd - 1]);
    return spans;
  }
  const at = s.lastIndexOf('@');
  if (at > 0) spans.push([at + 1, buf.length]);
  return spans;
}
