/**
 * Hit documents as JSON text, byte for byte what `JSON.stringify` gives, at a
 * fraction of its cost: the parts shared by many hits (an indicator as a
 * feed lists it, the agent, the ECS version) are serialised once and reused,
 * and each enrichment is written from its few per-hit values into a template.
 * Everything else goes through `JSON.stringify`, one top-level field at a time.
 */
import type { Enrichment, HitDocument } from './hit-document.js';

/** Where a shared object keeps its JSON: a symbol key, never enumerated (neither JSON nor spreads see it). */
const JSON_TEXT = Symbol('iochunt.json');

/**
 * Registers `value`, complete, as shared by documents and never mutated
 * again: its JSON is computed now and reused by {@link hitDocumentJson}.
 * Returns `value`.
 */
export function shareJson<T extends object>(value: T): T {
  Object.defineProperty(value, JSON_TEXT, { value: JSON.stringify(value), enumerable: false });
  return value;
}

function jsonOf(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null) {
    const cached = (value as { [JSON_TEXT]?: string })[JSON_TEXT];
    if (cached !== undefined) return cached;
  }
  return JSON.stringify(value);
}

/**
 * The `threat` of a document built by `buildHitDocument`: its enrichments
 * have exactly the {@link Enrichment} keys, in order. Serialises as the plain
 * object `{ enrichments }` would; a copy of it is a plain object again.
 */
export class BuiltThreat {
  constructor(readonly enrichments: Enrichment[]) {}
}

const keyJson = new Map<string, string>();
const MAX_KEYS = 4096;

function keyOf(k: string): string {
  let j = keyJson.get(k);
  if (j === undefined) {
    j = JSON.stringify(k);
    if (keyJson.size >= MAX_KEYS) keyJson.clear();
    keyJson.set(k, j);
  }
  return j;
}

function enrichmentJson(e: Enrichment): string {
  const m = e.matched;
  return (
    `{"indicator":${jsonOf(e.indicator)},"matched":{"atomic":${JSON.stringify(m.atomic)},"field":${JSON.stringify(m.field)},` +
    `"id":${JSON.stringify(m.id)},"index":${JSON.stringify(m.index)},"type":${JSON.stringify(m.type)}},` +
    `"feed":{"name":${JSON.stringify(e.feed.name)}},"iochunt":${jsonOf(e.iochunt)}}`
  );
}

function threatJson(threat: unknown): string | undefined {
  if (!(threat instanceof BuiltThreat) || Object.keys(threat).length !== 1) return JSON.stringify(threat);
  const list = threat.enrichments;
  let out = '{"enrichments":[';
  for (let i = 0; i < list.length; i++) out += (i > 0 ? ',' : '') + enrichmentJson(list[i] as Enrichment);
  return `${out}]}`;
}

/** `JSON.stringify(doc)` for a hit document. */
export function hitDocumentJson(doc: HitDocument): string {
  let out = '';
  for (const k of Object.keys(doc)) {
    const v = doc[k];
    const j = k === 'threat' ? threatJson(v) : jsonOf(v);
    // As JSON.stringify: a field whose value has no JSON (undefined, a function) is left out.
    if (j === undefined) continue;
    out += `${out === '' ? '{' : ','}${keyOf(k)}:${j}`;
  }
  return out === '' ? '{}' : `${out}}`;
}

/**
 * Hit documents serialised one by one into a growing buffer of JSON Lines:
 * each document's objects can be collected as soon as it is written, and the
 * block's text is encoded once, piece by piece, never as one long string.
 */
const EMPTY = Buffer.alloc(0);

export class JsonlBuffer {
  private buf: Buffer;
  private pos = 0;
  /** Documents added since the last {@link take}. */
  count = 0;

  constructor(private size = 64 * 1024) {
    this.buf = EMPTY;
  }

  /** Appends `doc` as one line. */
  add(doc: HitDocument): void {
    const json = hitDocumentJson(doc);
    // A UTF-16 code unit takes at most three bytes in UTF-8, and the newline one.
    const need = json.length * 3 + 1;
    if (this.buf.length - this.pos < need) {
      const grown = Buffer.allocUnsafe(Math.max(this.size, this.buf.length * 2, this.pos + need));
      this.buf.copy(grown, 0, 0, this.pos);
      this.buf = grown;
    }
    this.pos += this.buf.write(json, this.pos);
    this.buf[this.pos++] = 0x0a;
    this.count++;
  }

  /** The lines added so far (the caller's to keep); the next lines go to a new buffer of the size this one reached. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.size = Math.max(this.size, this.buf.length);
    this.buf = EMPTY;
    this.pos = 0;
    this.count = 0;
    return out;
  }
}
