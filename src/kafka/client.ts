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
