/**
 * Allowlists (`--allow`): values that must never produce a hit, read from any
 * feed format (plain, CSV, STIX, MISP, OTX, Zeek intel, SCC ETD, MISP
 * warninglists). A match is dropped when the matching engine, run over its
 * matched text (as hits show it, escapes decoded) with the allowlist's
 * entries as indicators, finds an entry that matches the whole text, or the
 * host of a URL, or the domain of an e-mail address: the same rules as
 * `scan` (CIDR blocks, parent domains, a URL without a query covers every
 * query, a scheme-less URL every scheme), by construction. A warninglist
 * `substring` found in the text drops it too. Trusted beats threat: an allowlisted address
 * inside a listed CIDR, or an allowlisted subdomain of a listed domain,
 * produces no hit. Warninglist `regex` entries are compiled with RE2 (the
 * `re2-wasm` package: linear-time matching, so an untrusted pattern
 * cannot hang the scan; JS RegExp is never used for them) and tested
 * against the matched text and its normalised form; a pattern RE2 rejects is
 * skipped and named in one warning.
 */
import { matchedText } from '../engine/escapes.js';
import { representativeSpans, TextMatcher } from '../engine/text-matcher.js';
import { loadFeeds, type AllowPattern, type LoadFeedsOptions } from '../indicators/load.js';
import { normalizeIndicator } from '../indicators/normalize.js';
import type { IndicatorStore, StoredIndicator } from '../indicators/store.js';
import type { HitLine } from '../output/hit-document.js';
import type { Reporter } from '../report.js';

/** Why a value is allowlisted: the allowlist entry and how it covers the value. */
export interface AllowMatch {
  readonly how: 'exact' | 'cidr' | 'parent-domain' | 'substring' | 'regex';
  /** The allowlist entry (canonical indicator name, the substring, or the regex as written). */
  readonly entry: string;
  readonly feed: string;
  readonly line: number;
}

/** A warninglist `regex` entry compiled by RE2. */
export interface AllowRegex {
  readonly pattern: AllowPattern;
  /** The compiled RE2 object (only `test` is used). */
  readonly re: { test(text: string): boolean };
}

/** A warninglist `regex` entry RE2 would not compile, and why. */
export interface RejectedRegex {
  readonly pattern: AllowPattern;
  readonly reason: string;
}

type Re2Constructor = new (pattern: string, flags?: string) => { test(text: string): boolean };

/**
 * Loads RE2 (Google's RE2 compiled to WebAssembly, `re2-wasm`: linear-time
 * matching and no native build). It always runs in Unicode mode, so the `u`
 * flag is added. Undefined when the package cannot be loaded.
 */
async function loadRe2(): Promise<Re2Constructor | undefined> {
  try {
    const mod = (await import('re2-wasm')) as unknown as { RE2: Re2Constructor };
    const RE2 = mod.RE2;
    return class {
      private readonly re: { test(text: string): boolean };
      constructor(pattern: string, flags = '') {
        this.re = new RE2(pattern, flags.includes('u') ? flags : `${flags}u`);
      }
      test(text: string): boolean {
        return this.re.test(text);
      }
    } as unknown as Re2Constructor;
  } catch {
    return undefined;
  }
}

/**
 * Compiles warninglist `regex` entries with RE2. An entry written with
 * delimiters (`/^.*\.example\.com$/i`, as MISP's PHP matcher expects) has
 * them removed and its flags passed on. Returns undefined when RE2 is not
 * available.
 */
export async function compileAllowRegexes(
  patterns: readonly AllowPattern[],
): Promise<{ compiled: AllowRegex[]; rejected: RejectedRegex[] } | undefined> {
  const regex = patterns.filter((p) => p.kind === 'regex');
  if (regex.length === 0) return { compiled: [], rejected: [] };
  const RE2 = await loadRe2();
  if (!RE2) return undefined;
  const compiled: AllowRegex[] = [];
  const rejected: RejectedRegex[] = [];
  for (const p of regex) {
    const delimited = /^\/(.*)\/([a-z]*)$/s.exec(p.value);
    const source = delimited ? (delimited[1] as string) : p.value;
    const flags = delimited ? (delimited[2] as string) : '';
    if (source === '') {
      rejected.push({ pattern: p, reason: 'empty pattern' });
      continue;
    }
    try {
      compiled.push({ pattern: p, re: new RE2(source, flags) });
    } catch (e) {
      rejected.push({ pattern: p, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  return { compiled, rejected };
}

const MEMO_LIMIT = 65536;

/** A loaded allowlist; see the module comment for what it covers. */
export class Allowlist {
  private readonly matcher: TextMatcher;
  private readonly substrings: AllowPattern[];
  private readonly memo = new Map<string, AllowMatch | null>();
  /** Matches dropped so far by {@link Allowlist.refine}. */
  dropped = 0;

  constructor(
    private readonly store: IndicatorStore,
    patterns: readonly AllowPattern[],
    private readonly regexes: readonly AllowRegex[] = [],
  ) {
    // Allowlisted domains always cover their subdomains.
    this.matcher = new TextMatcher(store, 'subdomain');
    this.substrings = patterns.filter((p) => p.kind === 'substring' && p.value !== '').map((p) => ({ ...p, value: p.value.toLowerCase() }));
  }

  /** Number of allowlisted values, substrings and compiled regexes. */
  get size(): number {
    return this.store.size + this.substrings.length + this.regexes.length;
  }

  /**
   * The allowlist entry that the matching engine finds covering the whole of
   * `text` (the same rules as `scan`: CIDR blocks, parent domains, URLs
   * without a query, scheme-less URLs under any scheme), or covering a URL's
   * host or an e-mail address's domain.
   */
  private engineCovers(text: string): AllowMatch | undefined {
    const hits = this.matcher.find(text);
    if (hits.length === 0) return undefined;
    const spans = representativeSpans(text);
    for (const [a, b] of spans) {
      const h = hits.find((x) => x.start === a && x.end === b);
      if (h) return from(h.stored, h.how);
    }
    return undefined;
  }

  /** The allowlist entry that covers `text` (a matched token as hits show it, or a value typed by a user), if any. */
  covers(text: string): AllowMatch | undefined {
    const memo = this.memo.get(text);
    if (memo !== undefined) return memo ?? undefined;
    let found = this.engineCovers(text);
    const n = found || (this.substrings.length === 0 && this.regexes.length === 0) ? undefined : normalizeIndicator(text);
    if (!found && this.substrings.length > 0) {
      const hay = [text.toLowerCase(), ...(n?.ok ? [n.indicator.name] : [])];
      const p = this.substrings.find((x) => hay.some((h) => h.includes(x.value)));
      if (p) found = { how: 'substring', entry: p.value, feed: p.feed, line: p.line };
    }
    if (!found && this.regexes.length > 0) {
      const hay = n?.ok && n.indicator.name !== text ? [text, n.indicator.name] : [text];
      const r = this.regexes.find((x) => hay.some((h) => x.re.test(h)));
      if (r) found = { how: 'regex', entry: r.pattern.value, feed: r.pattern.feed, line: r.pattern.line };
    }
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(text, found ?? null);
    return found;
  }

/** Drops the matches of `line` whose matched text is allowlisted; undefined when none is left. */
  refine(line: HitLine): HitLine | undefined {
    const kept = line.matches.filter((m) => !this.covers(matchedText(line.line.subarray(m.start, m.end))));
    this.dropped += line.matches.length - kept.length;
    if (kept.length === line.matches.length) return line;
    return kept.length > 0 ? { ...line, matches: kept } : undefined;
  }
}

function from(s: StoredIndicator, how: AllowMatch['how']): AllowMatch {
  const src = s.sources[0];
  return { how, entry: s.indicator.name, feed: src?.feed ?? '', line: src?.line ?? 0 };
}

/**
 * Loads the allowlists in `files` (any feed format, detected by content, or
 * `format`). Invalid entries are warned about like feed entries; regex
 * entries are compiled with RE2, and those it rejects (or all of them, when
 * the `re2-wasm` package cannot be loaded) are counted and named in one
 * warning. Throws feed errors as {@link loadFeeds} does.
 */
export async function loadAllowlist(
  files: readonly string[],
  reporter: Reporter,
  options: Pick<LoadFeedsOptions, 'format' | 'mispAll'> = {},
): Promise<Allowlist> {
  const r = await loadFeeds(files, { ...options, allowlist: true, reporter });
  const regex = r.patterns.filter((p) => p.kind === 'regex');
  const entries = (n: number): string => `${n} regex allowlist entr${n === 1 ? 'y' : 'ies'}`;
  const c = await compileAllowRegexes(r.patterns);
  if (!c) {
    const feeds = [...new Set(regex.map((p) => p.feed))].join(', ');
    reporter.warn(`${entries(regex.length)} skipped (${feeds}): the re2-wasm package cannot be loaded`);
    return new Allowlist(r.store, r.patterns);
  }
  if (c.rejected.length > 0) {
    const shown = c.rejected.slice(0, 10).map((x) => `${x.pattern.feed}:${x.pattern.line} ${JSON.stringify(x.pattern.value)} (${x.reason})`);
    const more = c.rejected.length > shown.length ? `; and ${c.rejected.length - shown.length} more` : '';
    reporter.warn(`${entries(c.rejected.length)} rejected by re2 and skipped: ${shown.join('; ')}${more}`);
  }
  return new Allowlist(r.store, r.patterns, c.compiled);
}
