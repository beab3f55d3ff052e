/**
 * Which stored indicators cover a value: the same indicator (exact), a CIDR
 * block holding the address, or a parent domain of the name (a URL's or an
 * e-mail address's host counts as a name). Used by `iocs check` and by
 * allowlists; it walks the store for addresses, so it is meant for single
 * values and hit tokens, not for scanning.
 */
import type { IndicatorStore, StoredIndicator } from './store.js';
import type { IpValue, NormalizedIndicator } from './types.js';

export type CoverKind = 'exact' | 'cidr' | 'parent-domain';

/** One indicator that covers the value, and how. */
export interface Cover {
  readonly stored: StoredIndicator;
  readonly how: CoverKind;
}

/** True when network `net` holds address (or block) `ip`. */
export function ipContains(net: IpValue, ip: IpValue): boolean {
  if (net.version !== ip.version || net.prefix > ip.prefix) return false;
  const full = Math.floor(net.prefix / 8);
  for (let i = 0; i < full; i++) if (net.bytes[i] !== ip.bytes[i]) return false;
  const rest = net.prefix % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((net.bytes[full] as number) & mask) === ((ip.bytes[full] as number) & mask);
}

function domainCovers(store: IndicatorStore, name: string, out: Cover[]): void {
  const labels = name.split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const s = store.find('domain-name', labels.slice(i).join('.'));
    if (s) out.push({ stored: s, how: i === 0 ? 'exact' : 'parent-domain' });
  }
}

/** The indicators in `store` that cover `value`, exact first. */
export function coveringIndicators(store: IndicatorStore, value: NormalizedIndicator): Cover[] {
  const out: Cover[] = [];
  switch (value.type) {
    case 'ipv4-addr':
    case 'ipv6-addr':
      for (const s of store.all()) {
        const ind = s.indicator;
        if (ind.type !== value.type) continue;
        if (ind.name === value.name) out.unshift({ stored: s, how: 'exact' });
        else if (ipContains(ind.ip, value.ip)) out.push({ stored: s, how: 'cidr' });
      }
      return out;
    case 'domain-name':
      for (const k of value.keys) domainCovers(store, k, out);
      return out;
    case 'url': {
      const s = store.find('url', value.name);
      if (s) out.push({ stored: s, how: 'exact' });
      domainCovers(store, value.url.host, out);
      return out;
    }
    case 'email-addr': {
      const s = store.find('email-addr', value.name);
      if (s) out.push({ stored: s, how: 'exact' });
      domainCovers(store, value.name.slice(value.name.lastIndexOf('@') + 1), out);
      return out;
    }
    case 'file': {
      const s = store.find('file', value.name);
      if (s) out.push({ stored: s, how: 'exact' });
      return out;
    }
  }
}
