/**
 * Hit documents as JSON Lines, serialised one by one as they are built into a
 * growing buffer: each document's objects can be collected as soon as it is
 * written (a block's documents kept until the block was written survived
 * young-generation collections, which then cost more than building them),
 * and the block's text is encoded piece by piece, never as one long string.
 */
import type { HitDocument } from './hit-document.js';

const EMPTY = Buffer.alloc(0);
/** Largest size a new buffer starts at: that of a dense 1 MiB block's documents. */
const MAX_START = 8 * 1024 * 1024;

/** A block's hit documents as JSON Lines (`JSON.stringify` of each, then a newline). */
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
    const json = JSON.stringify(doc);
    // A UTF-16 code unit takes at most three bytes in UTF-8, and the newline
    // one; a long document (a long line) is measured instead of assumed.
    const need = json.length > 65_536 ? Buffer.byteLength(json) + 1 : json.length * 3 + 1;
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
    // A block with an enormous hit line does not make every later block start that large.
    this.size = Math.min(Math.max(this.size, this.buf.length), MAX_START);
    this.buf = EMPTY;
    this.pos = 0;
    this.count = 0;
    return out;
  }
}
