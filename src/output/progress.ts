/**
 * The progress line of `scan` on a terminal: bytes read / total, rate, hit
 * lines and the current input, redrawn in place (`\r`, erase to the end of
 * the line) a few times a second and erased at the end. Messages printed
 * meanwhile erase it first, so they are never mixed with it.
 */
import { stat } from 'node:fs/promises';
import { expandPaths, type WalkOptions } from '../input/expand-paths.js';
import type { Reporter } from '../report.js';
import type { InputProgress, SearchObserver } from '../search/search.js';

/** Redraws per second at most. */
const INTERVAL_MS = 250;
const ERASE = '\r\x1b[K';

/** The subset of a terminal stream the line needs. */
export interface ProgressStream {
  write(text: string): boolean;
  readonly columns?: number;
}

function size(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/** A name made safe for a terminal: control characters shown as `\xNN`. */
function printable(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A progress line on `stream` (a terminal); see the module comment. */
export class ProgressLine implements SearchObserver {
  private total: number | undefined;
  private finishedBytes = 0;
  private hitLines = 0;
  private current: InputProgress | undefined;
  private shown = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();

  /** `total` resolves to the bytes of every input when known (undefined: stdin or not known). */
  constructor(
    private readonly stream: ProgressStream,
    total: Promise<number | undefined> | number | undefined,
    private readonly onStop: () => void = () => undefined,
  ) {
    if (typeof total === 'number' || total === undefined) {
      this.total = total;
      return;
    }
    total.then(
      (t) => {
        this.total = t;
      },
      () => undefined,
    );
  }

  /** Draws now and then every {@link INTERVAL_MS} until {@link stop}. */
  start(): void {
    this.draw();
    this.timer = setInterval(() => this.draw(), INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops redrawing and erases the line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.onStop();
    this.erase();
  }

  inputStart(input: InputProgress): void {
    this.current = input;
  }

  inputEnd(input: InputProgress): void {
    this.finishedBytes += input.size ?? input.bytesRead();
    if (this.current === input) this.current = undefined;
  }

  hits(total: number): void {
    this.hitLines = total;
  }

  /** A reporter whose messages erase the line first; it is drawn again at the next tick. */
  wrap(reporter: Reporter): Reporter {
    return {
      error: (m) => {
        this.erase();
        reporter.error(m);
      },
      warn: (m) => {
        this.erase();
        reporter.warn(m);
      },
      info: (m) => {
        this.erase();
        reporter.info(m);
      },
    };
  }

  private erase(): void {
    if (!this.shown) return;
    this.shown = false;
    this.stream.write(ERASE);
  }

  /** The text of the line (without control sequences). */
  text(): string {
    const cur = this.current;
    const done = this.finishedBytes + (cur ? Math.min(cur.bytesRead(), cur.size ?? Number.POSITIVE_INFINITY) : 0);
    const secs = (Date.now() - this.started) / 1000;
    const parts = [
      this.total !== undefined && this.total > 0
        ? `${size(done)} / ${size(this.total)} (${Math.min(100, Math.floor((done / this.total) * 100))}%)`
        : size(done),
      secs > 0 ? `${size(Math.round(done / secs))}/s` : '-',
      `${this.hitLines} hit line(s)`,
    ];
    const head = `iochunt: ${parts.join(', ')}`;
    if (!cur) return head;
    // A long path is shortened from the left, so that the file name stays in view.
    let name = cur.path === '-' ? '(standard input)' : printable(cur.path);
    const room = this.width() - head.length - 2;
    if (name.length > room && room >= 8) name = `…${name.slice(name.length - room + 1)}`;
    return `${head}, ${name}`;
  }

  /** Columns available; a terminal that does not say its width (0) is taken as 80 columns. */
  private width(): number {
    return Math.max(20, (this.stream.columns || 80) - 1);
  }

  private draw(): void {
    const width = this.width();
    let line = this.text();
    if (line.length > width) line = `${line.slice(0, width - 1)}…`;
    this.stream.write(`${ERASE}${line}`);
    this.shown = true;
  }
}

/**
 * A progress line for a scan of `paths`. When every path is a regular file
 * the total is known before the first draw; otherwise it is summed by a walk
 * beside the scan and shown once known.
 */
export async function progressLine(stream: ProgressStream, paths: readonly string[], walk: WalkOptions): Promise<ProgressLine> {
  // The walk that sums the total ends with the scan, finished or not.
  const scanOver = { value: false };
  const total = totalBytes(paths, walk, () => scanOver.value);
  const filesOnly = paths.length > 0 && (await Promise.all(paths.map((p) => stat(p).then((st) => st.isFile(), () => false)))).every(Boolean);
  return new ProgressLine(stream, filesOnly ? await total : total, () => {
    scanOver.value = true;
  });
}

/**
 * The bytes of every input `paths` names (walked as the scan walks them), or
 * undefined when one is stdin or not a regular file.
 */
export async function totalBytes(paths: readonly string[], walk: WalkOptions, stop: () => boolean = () => false): Promise<number | undefined> {
  let sum = 0;
  for await (const e of expandPaths(paths, walk)) {
    if (stop()) return undefined;
    if ('error' in e) continue;
    if (e.path === '-') return undefined;
    try {
      const st = await stat(e.path);
      if (!st.isFile()) return undefined;
      sum += st.size;
    } catch {
      // Reported by the scan itself.
    }
  }
  return sum;
}
