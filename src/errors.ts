/**
 * The one error family of iochunt. Every error the tool raises on purpose is an
 * {@link IochuntError} with a stable `code`; messages name the option, file and
 * line involved so that a user can act on them without reading source.
 */

/** Stable error codes. Scripts may match on these; they never change meaning. */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_INPUT'
  | 'E_GZIP'
  | 'E_COMPRESSION_UNSUPPORTED'
  | 'E_FEED'
  | 'E_FEED_INVALID_ENTRY'
  | 'E_NATIVE_UNAVAILABLE'
  | 'E_OUTPUT'
  | 'E_ES_UNREACHABLE'
  | 'E_ES_REFUSED'
  | 'E_STATE'
  | 'E_STATE_LOCKED'
  | 'E_CONFIG'
  | 'E_SOURCE'
  | 'E_INTERNAL';

/** Base class: carries a stable {@link ErrorCode} and an optional cause. */
export class IochuntError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return 'IochuntError';
  }
}

/** Bad command-line usage: an unknown value, a missing argument, a conflicting option. */
export class UsageError extends IochuntError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_USAGE', message, options);
  }

  override get name(): string {
    return 'UsageError';
  }
}

/** An input (log file, directory, stdin) that cannot be opened or read. */
export class InputError extends IochuntError {
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('E_INPUT', `${path}: ${message}`, options);
    this.path = path;
  }

  override get name(): string {
    return 'InputError';
  }
}

/**
 * A gzip stream that ends early or is corrupt. `compressedOffset` is the number
 * of compressed bytes consumed when inflation failed; `decompressedOffset` is
 * the number of decompressed bytes delivered before the break (all of them
 * were scanned).
 */
export class GzipError extends IochuntError {
  readonly path: string;
  readonly compressedOffset: number;
  readonly decompressedOffset: number;

  constructor(
    path: string,
    reason: string,
    compressedOffset: number,
    decompressedOffset: number,
    options?: { cause?: unknown },
  ) {
    super(
      'E_GZIP',
      `${path}: gzip stream broken at compressed byte ${compressedOffset} ` +
        `(decompressed offset ${decompressedOffset}): ${reason}; hits before the break were kept`,
      options,
    );
    this.path = path;
    this.compressedOffset = compressedOffset;
    this.decompressedOffset = decompressedOffset;
  }

  override get name(): string {
    return 'GzipError';
  }
}

/** A feed (indicator list) that cannot be read at all, or an invalid entry under `--strict`. */
export class FeedError extends IochuntError {
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown; code?: ErrorCode }) {
    super(options?.code ?? 'E_FEED', `${path}: ${message}`, options);
    this.path = path;
  }

  override get name(): string {
    return 'FeedError';
  }
}

/** The native engine was asked for but cannot be loaded. */
export class NativeUnavailableError extends IochuntError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_NATIVE_UNAVAILABLE', message, options);
  }

  override get name(): string {
    return 'NativeUnavailableError';
  }
}

/** A configuration file that cannot be read or does not validate; `problems` are `FILE:LINE: key.path: message` lines. */
export class ConfigError extends IochuntError {
  readonly path: string;
  readonly problems: readonly string[];

  constructor(path: string, problems: readonly string[], options?: { cause?: unknown }) {
    super('E_CONFIG', problems.length === 1 ? (problems[0] as string) : `${path}: ${problems.length} problems:\n  ${problems.join('\n  ')}`, options);
    this.path = path;
    this.problems = problems;
  }

  override get name(): string {
    return 'ConfigError';
  }
}

/** A live feed source that could not be pulled (its previous feed stays in place). `retryable` is false for 4xx answers. */
export class SourceError extends IochuntError {
  readonly source: string;
  readonly retryable: boolean;
  readonly status?: number;

  constructor(source: string, message: string, options?: { cause?: unknown; retryable?: boolean; status?: number }) {
    super('E_SOURCE', `${source}: ${message}`, options);
    this.source = source;
    this.retryable = options?.retryable ?? false;
    if (options?.status !== undefined) this.status = options.status;
  }

  override get name(): string {
    return 'SourceError';
  }
}

/** Returns a one-line description of any thrown value, for messages on stderr. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
