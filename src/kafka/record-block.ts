/**
 * Kafka records of one topic joined into one line-aligned buffer, so that
 * the search pipeline scans whole blocks with the native engine instead of
 * record by record, and the coordinates of each byte can be found again:
 * a hit's byte offset in the block maps back to (partition, offset) of the
 * record it sits in.
 *
 * Layout: each record's value followed by `\n`. A value that already ends
 * with `\n` does not get a second one. A value holding newlines (a stack
 * trace, several lines sent as one record) is split into its lines, as a
 * file would be: every line is scanned and reported on its own, all with the
 * record's coordinates, and `log.offset` is the line's byte offset inside
 * the value. An empty value (or a tombstone, null) is an empty line. Bytes
 * are never changed: invalid UTF-8 is scanned as it is (and counted).
 */
import { isUtf8 } from 'node:buffer';

/** One record as the consumer hands it over. */
export interface KafkaRecordIn {
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly value: Buffer | null | undefined;
}

/** Where one line of a block came from. */
export interface RecordCoordinates {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** The record's timestamp (ms since the epoch). */
  readonly timestamp: bigint;
  /** Byte offset of the position inside the record's value. */
  readonly inRecord: number;
}

/** Odd records found while building a block (counted and reported, never dropped). */
export interface RecordIssues {
  empty: number;
  invalidUtf8: number;
  /** Coordinates of the first few invalid UTF-8 records, for the warning. */
  readonly invalidAt: string[];
}

/** Records of one topic, joined; see the module comment for the layout. */
export class RecordBlock {
  /** Position after the last handed-over record (records before it reached the sink). */
  private doneIndex = 0;

  private constructor(
    readonly topic: string,
    /** A name unique in this process: the "path" of the block in the search pipeline. */
    readonly path: string,
    readonly buf: Buffer,
    private readonly starts: Int32Array,
    private readonly partitions: Int32Array,
    private readonly offsets: BigInt64Array,
    private readonly timestamps: BigInt64Array,
    readonly issues: RecordIssues,
  ) {}

  /** Number of records. */
  get count(): number {
    return this.starts.length;
  }

  /** Joins `records` (one topic, each partition in offset order). */
  static build(topic: string, seq: number, records: readonly KafkaRecordIn[]): RecordBlock {
    const n = records.length;
    let size = 0;
    for (const r of records) size += (r.value?.length ?? 0) + 1;
    const buf = Buffer.allocUnsafe(size);
    const starts = new Int32Array(n);
    const partitions = new Int32Array(n);
    const offsets = new BigInt64Array(n);
    const timestamps = new BigInt64Array(n);
    const issues: RecordIssues = { empty: 0, invalidUtf8: 0, invalidAt: [] };
    let at = 0;
    for (let i = 0; i < n; i++) {
      const r = records[i] as KafkaRecordIn;
      starts[i] = at;
      partitions[i] = r.partition;
      offsets[i] = r.offset;
      timestamps[i] = r.timestamp;
      const v = r.value;
      let len = v?.length ?? 0;
      if (v && len > 0) {
        // A value that ends its last line keeps its own newline.
        if (v[len - 1] === 0x0a) len--;
        v.copy(buf, at, 0, len);
        at += len;
      }
      if (len === 0) issues.empty++;
      buf[at++] = 0x0a;
    }
    const block = new RecordBlock(topic, `kafka:${topic}#${seq}`, buf.subarray(0, at), starts, partitions, offsets, timestamps, issues);
    // One check of the whole block (native); only a block with damage is looked at record by record.
    if (!isUtf8(block.buf)) {
      for (let i = 0; i < n; i++) {
        const end = i + 1 < n ? (starts[i + 1] as number) : at;
        if (!isUtf8(block.buf.subarray(starts[i] as number, end))) {
          issues.invalidUtf8++;
          if (issues.invalidAt.length < 3) issues.invalidAt.push(`${topic}/${partitions[i]}@${offsets[i]}`);
        }
      }
    }
    return block;
  }

  /** The record holding byte `pos` of the block, and `pos`'s offset inside its value. */
  locate(pos: number): RecordCoordinates {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return {
      topic: this.topic,
      partition: this.partitions[lo] as number,
      offset: this.offsets[lo] as bigint,
      timestamp: this.timestamps[lo] as bigint,
      inRecord: pos - (starts[lo] as number),
    };
  }

  /**
   * Records whose every byte lies before `end` and that were not handed over
   * before: calls `each(partition, offset)` for them, in block order.
   */
  handOver(end: number, each: (partition: number, offset: bigint) => void): void {
    const n = this.starts.length;
    let i = this.doneIndex;
    for (; i < n; i++) {
      const recordEnd = i + 1 < n ? (this.starts[i + 1] as number) : this.buf.length;
      if (recordEnd > end) break;
      each(this.partitions[i] as number, this.offsets[i] as bigint);
    }
    this.doneIndex = i;
  }
}
