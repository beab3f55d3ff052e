/** The benchmark's indicator mix, shared by `run.ts` and `micro.ts`. */
import type { IndicatorCounts } from './corpus.js';

/** The indicator mix: mostly IPs and domains, as real feeds are, with every other type present. */
export function mix(total: number): IndicatorCounts {
  const share = (f: number): number => Math.round(total * f);
  return {
    ipv4: share(0.45),
    cidr4: Math.min(share(0.01), 8000),
    ipv6: share(0.02),
    cidr6: share(0.005),
    domains: share(0.4),
    urls: share(0.04),
    hashes: share(0.05),
    emails: share(0.025),
  };
}

