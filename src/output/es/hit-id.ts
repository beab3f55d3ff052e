/**
 * The Elasticsearch `_id` of a hit document, derived from what the hit is,
 * so that a retried request or a second run over the same logs writes the
 * same ids and Elasticsearch (`op_type: create`) refuses the copies with 409.
 */
import { createHash } from 'node:crypto';
import type { HitDocument } from '../hit-document.js';

/**
 * `_id` of a hit: SHA-256 over
 * - the file identity: its inode (`log.file.inode`, stable when rotation
 *   renames the file) or, for a stream without one (stdin, a pipe), its path;
 *   for a Kafka record, its coordinates (`kafka.topic`, `kafka.partition`,
 *   `kafka.offset`), so that a record read twice gives the same ids;
 * - the line's offset (`log.offset`) and its text (`event.original`), so that
 *   a reused inode with other content never collides with an earlier hit;
 * - the set of indicators that matched (`type:name`, sorted), so that a feed
 *   update that adds an indicator to a line gives a new document;
 * as 27 characters of base64url (160 bits).
 */
export function hitId(doc: HitDocument): string {
  const k = (doc as { kafka?: { topic: string; partition: number; offset: number } }).kafka;
  const file = k ? `kafka:${k.topic}:${k.partition}:${k.offset}` : doc.log.file.inode !== undefined ? `inode:${doc.log.file.inode}` : `path:${doc.log.file.path}`;
  const indicators = [...new Set(doc.threat.enrichments.map((e) => `${String(e.indicator.type)}:${String(e.indicator.name)}`))].sort();
  const h = createHash('sha256');
  h.update(file);
  h.update('\0');
  h.update(String(doc.log.offset));
  h.update('\0');
  h.update(indicators.join('\n'));
  h.update('\0');
  h.update(doc.event.original);
  return h.digest().subarray(0, 20).toString('base64url');
}
