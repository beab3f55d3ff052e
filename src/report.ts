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

/** Writes `iochunt: …` lines to stderr; `quiet` drops `info`. */
export function stderrReporter(options: { quiet?: boolean } = {}): Reporter {
  const write = (line: string): void => {
    process.stderr.write(`${line}\n`);
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
