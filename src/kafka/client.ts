/**
 * Connection options of the Kafka client (`@platformatic/kafka`, pure
 * TypeScript, no native code or download at install) from validated
 * {@link KafkaOptions}: bootstrap brokers, TLS and SASL. The client is
 * imported lazily, so that commands without Kafka never load it.
 */
import type { BaseOptions } from '@platformatic/kafka';
import type { KafkaOptions } from './kafka-options.js';

/** The client library, loaded on first use. */
export async function kafkaLibrary(): Promise<typeof import('@platformatic/kafka')> {
  return import('@platformatic/kafka');
}

/** Connection options shared by the consumer and the hits producer. */
export function connectionOptions(options: KafkaOptions, role: 'consumer' | 'producer'): BaseOptions {
  const tls = options.tls;
  return {
    clientId: `${options.clientId}-${role}`,
    bootstrapBrokers: [...options.brokers],
    // Retries of one operation; a broker away for longer is waited for by the callers (see group-input.ts).
    retries: 5,
    retryDelay: 500,
    connectTimeout: 5000,
    requestTimeout: 30_000,
    ...(tls
      ? {
          tls: {
            ...(tls.ca ? { ca: tls.ca } : {}),
            ...(tls.cert ? { cert: tls.cert } : {}),
            ...(tls.key ? { key: tls.key } : {}),
            rejectUnauthorized: tls.insecure !== true,
          },
        }
      : {}),
    ...(options.sasl ? { sasl: { mechanism: options.sasl.mechanism, username: options.sasl.username, password: options.sasl.password } } : {}),
  };
}

/**
 * The distinct innermost messages of a client error (the client wraps each
 * failed attempt in an AggregateError: "metadata failed 6 times"), e.g.
 * "SASL authentication failed.", at most `max` of them.
 */
export function rootCauses(err: unknown, max = 3): string {
  const seen = new Set<string>();
  const walk = (e: unknown, depth: number): void => {
    if (seen.size >= max || depth > 12 || typeof e !== 'object' || e === null) return;
    const x = e as { message?: unknown; errors?: unknown[]; cause?: unknown };
    const inner = [...(Array.isArray(x.errors) ? x.errors : []), ...(x.cause !== undefined ? [x.cause] : [])];
    if (inner.length === 0) {
      if (typeof x.message === 'string' && x.message !== '') seen.add(x.message);
      return;
    }
    for (const i of inner) walk(i, depth + 1);
  };
  walk(err, 0);
  return seen.size > 0 ? [...seen].join('; ') : err instanceof Error ? err.message : String(err);
}
