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

/** Returns a one-line description of any thrown value, for messages on stderr. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
