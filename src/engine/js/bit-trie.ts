/**
 * A binary radix trie of address prefixes (IPv4 or IPv6 CIDR blocks) in
 * typed arrays. A lookup walks the address bits from the most significant
 * one and reports every stored block that contains the address, shortest
 * prefix first.
 */
export class BitTrie {
  private child0: Int32Array;
  private child1: Int32Array;
  private idOf: Int32Array;
  private nodes = 1;

  constructor(capacity = 1024) {
    this.child0 = new Int32Array(capacity);
    this.child1 = new Int32Array(capacity);
    this.idOf = new Int32Array(capacity).fill(-1);
  }

  private grow(): void {
    const cap = this.child0.length * 2;
    const c0 = new Int32Array(cap);
    c0.set(this.child0);
    const c1 = new Int32Array(cap);
    c1.set(this.child1);
    const ids = new Int32Array(cap).fill(-1);
    ids.set(this.idOf);
    this.child0 = c0;
    this.child1 = c1;
    this.idOf = ids;
  }

  /** Stores block `bytes`/`prefix` with `id`. */
  insert(bytes: Uint8Array, prefix: number, id: number): void {
    let node = 0;
    for (let i = 0; i < prefix; i++) {
      const bit = ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;
      const arr = bit === 0 ? this.child0 : this.child1;
      let next = arr[node] ?? 0;
      if (next === 0) {
        if (this.nodes === this.child0.length) this.grow();
        next = this.nodes++;
        (bit === 0 ? this.child0 : this.child1)[node] = next;
      }
      node = next;
    }
    this.idOf[node] = id;
  }

  /** Appends to `out` the id of every block containing the address `bytes` (`bits` long). */
  lookup(bytes: Uint8Array, bits: number, out: number[]): void {
    let node = 0;
    for (let i = 0; ; i++) {
      const id = this.idOf[node] ?? -1;
      if (id >= 0) out.push(id);
      if (i === bits) return;
      const bit = ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;
      const next = (bit === 0 ? this.child0 : this.child1)[node] ?? 0;
      if (next === 0) return;
      node = next;
    }
  }

  /** Number of trie nodes (for memory reporting). */
  get size(): number {
    return this.nodes;
  }
}
