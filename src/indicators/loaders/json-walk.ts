/**
 * Streaming JSON for feed readers: the bytes go through stream-json's
 * tokenizer and only the values a reader selects (by path) are assembled
 * into objects, one at a time, so a feed of a million indicators is never
 * held whole in memory. Concatenated and line-delimited JSON work too.
 *
 * The tokenizer is stream-json's bare `jsonParser` function, called once per
 * input chunk: it returns that chunk's tokens as one array, which is walked
 * synchronously. (Piping it as a Node stream costs one stream hop and one
 * `for await` turn per token, which was most of the load time of big feeds.)
 */
import { isRealTime, offsetMinutes } from '../../formats/time.js';

/** A path in a JSON document: object keys and array indexes. */
export type JsonPath = readonly (string | number)[];

/** A selected value and where it was. */
export interface JsonItem {
  readonly path: JsonPath;
  readonly value: unknown;
  /** 1-based number of the top-level document (NDJSON line order). */
  readonly doc: number;
}

interface Frame {
  /** The container being assembled, when inside a selected value. */
  readonly into?: Record<string, unknown> | unknown[];
  /** Next key (objects) or index (arrays). */
  key: string | number;
  readonly isArray: boolean;
}

interface Token {
  readonly name: string;
  readonly value?: unknown;
}

/**
 * Yields every value whose path `select` accepts, assembled. Values inside
 * a selected value are not offered to `select` again. Throws the parser's
 * error on malformed JSON (the reader turns it into a feed error).
 */
export async function* jsonItems(chunks: AsyncIterable<Buffer>, select: (path: JsonPath) => boolean): AsyncGenerator<JsonItem> {
  // The tokenizer is loaded by JSON feeds only (start-up loads no feed reader's parser).
  const [{ jsonParser }, { getManyValues, isMany, none }] = await Promise.all([import('stream-json/parser.js'), import('stream-chain/defs.js')]);
  const tokenize = jsonParser({ packValues: true, streamValues: false, jsonStreaming: true }) as unknown as (
    input: string | typeof none,
  ) => unknown;
  // A leading BOM is dropped (TextDecoder's default); split UTF-8 sequences are carried across chunks.
  const decoder = new TextDecoder('utf-8');
  const walk = tokenWalker(select);
  const out: JsonItem[] = [];
  const feed = (result: unknown): void => {
    if (isMany(result)) walk(getManyValues(result) as Token[], out);
  };
  // Lines fed so far, so that a parse error can say where it is. Text goes to
  // the tokenizer in pieces of at most PIECE characters cut after a newline,
  // so the error names a short range of lines.
  let line = 1;
  const run = (text: string): void => {
    let from = 0;
    while (from < text.length) {
      let to = Math.min(text.length, from + PIECE);
      if (to < text.length) {
        const nl = text.lastIndexOf('\n', to);
        if (nl >= from) to = nl + 1;
      }
      const piece = text.slice(from, to);
      let newlines = 0;
      for (let i = piece.indexOf('\n'); i >= 0; i = piece.indexOf('\n', i + 1)) newlines++;
      try {
        feed(tokenize(piece));
      } catch (err) {
        const where = newlines === 0 ? `line ${line}` : `lines ${line}-${line + newlines}`;
        throw new Error(`malformed JSON in ${where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      line += newlines;
      from = to;
    }
  };
  for await (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    if (text !== '') run(text);
    if (out.length > 0) {
      yield* out;
      out.length = 0;
    }
  }
  const rest = decoder.decode();
  if (rest !== '') run(rest);
  try {
    feed(tokenize(none));
  } catch (err) {
    throw new Error(`the JSON ends early, at line ${line} (truncated file?): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  yield* out;
}

/** Most characters handed to the tokenizer at once (an error names the lines of one piece). */
const PIECE = 2 * 1024;

/**
 * A stateful token consumer: each call walks one batch of tokens and pushes
 * the selected values completed by it onto `out`.
 */
function tokenWalker(select: (path: JsonPath) => boolean): (tokens: readonly Token[], out: JsonItem[]) => void {
  const stack: Frame[] = [];
  // Depth of the stack at which the current selected value started; -1 when none.
  let selectedAt = -1;
  let root: unknown;
  let rootPath: JsonPath = [];
  let doc = 0;
  const path = (): (string | number)[] => stack.map((f) => f.key);

  /** Stores a finished value into the container being assembled. */
  const place = (value: unknown): void => {
    const parent = stack[stack.length - 1];
    if (parent?.into) {
      if (parent.isArray) (parent.into as unknown[]).push(value);
      else (parent.into as Record<string, unknown>)[parent.key as string] = value;
    }
  };
  const advance = (): void => {
    const parent = stack[stack.length - 1];
    if (parent?.isArray) parent.key = (parent.key as number) + 1;
  };

  return (tokens, out) => {
    for (const t of tokens) {
      switch (t.name) {
        case 'keyValue': {
          const top = stack[stack.length - 1];
          if (top) top.key = t.value as string;
          continue;
        }
        case 'startObject':
        case 'startArray': {
          if (stack.length === 0) doc++;
          const isArray = t.name === 'startArray';
          let into: Frame['into'];
          if (selectedAt >= 0) {
            into = isArray ? [] : {};
            place(into);
          } else if (select(path())) {
            into = isArray ? [] : {};
            selectedAt = stack.length;
            root = into;
            rootPath = path();
          }
          stack.push(into ? { into, key: isArray ? 0 : '', isArray } : { key: isArray ? 0 : '', isArray });
          continue;
        }
        case 'endObject':
        case 'endArray': {
          stack.pop();
          if (selectedAt >= 0 && stack.length === selectedAt) {
            selectedAt = -1;
            out.push({ path: rootPath, value: root, doc });
            root = undefined;
          }
          advance();
          continue;
        }
        default: {
          if (stack.length === 0) doc++;
          const value = t.name === 'numberValue' ? Number(t.value) : t.value;
          if (selectedAt >= 0) place(value);
          else if (select(path())) out.push({ path: path(), value, doc });
          advance();
        }
      }
    }
  };
}

/** `value` as a plain object, or undefined. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** `value` as a non-empty trimmed string (numbers are converted), or undefined. */
export function asText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  return t === '' ? undefined : t;
}

/** Recent `asTime` results: feeds repeat the same few times (creation, validity) across many entries. */
const timeCache = new Map<string, string | undefined>();

/** A feed time (ISO 8601, `YYYY-MM-DD HH:MM:SS`, or epoch seconds) as UTC ISO 8601, or undefined. */
export function asTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000).toISOString();
  const t = asText(value);
  if (!t) return undefined;
  if (timeCache.has(t)) return timeCache.get(t);
  if (timeCache.size >= 4096) timeCache.clear();
  const iso = parseTime(t);
  timeCache.set(t, iso);
  return iso;
}

const ISO_SHAPE = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,]\d+)?)?)?\s*(Z|z|[+-]\d\d:?\d\d)?$/;

function parseTime(t: string): string | undefined {
  if (/^\d{9,10}(\.\d+)?$/.test(t)) return new Date(Number(t) * 1000).toISOString();
  // ISO-shaped times must name a real day and zone (Date.parse reads `2024-02-31` as 2 March).
  const m = ISO_SHAPE.exec(t);
  if (m) {
    const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
    if (!isRealTime(y, mo - 1, d, h, mi, s)) return undefined;
    if (m[7] !== undefined && offsetMinutes(m[7]) === undefined) return undefined;
  }
  // No zone: feeds (OTX, MISP) mean UTC.
  const iso = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(t) ? `${t.replace(' ', 'T')}Z` : t;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The TLP colour named by a tag or marking (`tlp:amber`, `TLP:CLEAR`, `TLP: GREEN`), or undefined. */
export function tlpOf(tag: string): string | undefined {
  const m = /^tlp\s*:\s*(white|clear|green|amber\+strict|amber|red)\b/i.exec(tag.trim());
  return m ? (m[1] as string).toLowerCase() : undefined;
}
