/**
 * Messages for humans. Everything here goes to stderr (stdout carries hits
 * only). A {@link Reporter} can be replaced in tests or by a library user.
 */

export interface Reporter {
  /** Something went wrong with one input or entry; the run goes on. */
  error(message: string): void;
  /** Something the user should know about; results are still complete or the gap is named. */
  warn(message: string): void;
  /** Progress and summaries. */
  info(message: string): void;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

/**
 * Makes text from feeds, logs and file names safe to print on a terminal:
 * control characters (C0, DEL, C1, so ESC sequences and newlines too),
 * Unicode line separators and bidirectional overrides are written as
 * escapes (`\n`, `\e`, `\x07`, `\u202e`). Every message of a {@link stderrReporter} goes through it, so one
 * message is always one line.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Writes `iochunt: …` lines to stderr, control characters escaped; `quiet` drops `info`. */
export function stderrReporter(options: { quiet?: boolean } = {}): Reporter {
  const write = (line: string): void => {
    process.stderr.write(`${escapeControls(line)}\n`);
  };
  return {
    error: (m) => write(`iochunt: error: ${m}`),
    warn: (m) => write(`iochunt: warning: ${m}`),
    info: (m) => {
      if (!options.quiet) write(`iochunt: ${m}`);
    },
  };
}

/** A reporter that keeps messages in memory (tests, library use). */
export function recordingReporter(): Reporter & { readonly messages: Array<{ level: string; message: string }> } {
  const messages: Array<{ level: string; message: string }> = [];
  return {
    messages,
    error: (message) => messages.push({ level: 'error', message }),
    warn: (message) => messages.push({ level: 'warn', message }),
    info: (message) => messages.push({ level: 'info', message }),
  };
}

/**
 * Writes one JSON object per message to stderr (`--log-format json`):
 * `@timestamp`, `log.level` (error, warning, info) and `message`, for log
 * collectors; `quiet` drops `info`.
 */
export function jsonReporter(options: { quiet?: boolean } = {}): Reporter {
  const write = (level: string, message: string): void => {
    process.stderr.write(`${JSON.stringify({ '@timestamp': new Date().toISOString(), 'log.level': level, 'log.logger': 'iochunt', message })}\n`);
  };
  return {
    error: (m) => write('error', m),
    warn: (m) => write('warning', m),
    info: (m) => {
      if (!options.quiet) write('info', m);
    },
  };
}
