/**
 * Tells binary files (wtmp/btmp/lastlog records, systemd journal files,
 * databases) from text logs by their first bytes, as ripgrep and grep do by
 * their NUL bytes, without mistaking a text log that a crash left with a
 * zero-filled hole for a binary file.
 */

/**
 * Runs of NUL bytes at least this long are read as a hole (a file system
 * block that was allocated but never written, as a crash leaves in a log
 * file), not as the padding between the fields of binary records.
 */
export const HOLE_BYTES = 512;

/**
 * True when `head` (the first decompressed bytes of an input) holds a run of
 * NUL bytes shorter than {@link HOLE_BYTES}, as the fields of binary records
 * do. A run that reaches the end of `head` counts only when `complete` (the
 * head is the whole input), since it may go on beyond. Text, UTF-8 included,
 * holds no NUL byte.
 */
export function looksBinary(head: Uint8Array, complete: boolean): boolean {
  let i = head.indexOf(0);
  while (i !== -1) {
    let end = i + 1;
    while (end < head.length && head[end] === 0) end++;
    if (end - i < HOLE_BYTES && (end < head.length || complete)) return true;
    i = head.indexOf(0, end);
  }
  return false;
}
