/**
 * The one error family of iochunt. Every error the tool raises on purpose is an
 * {@link IochuntError} with a stable `code`; messages name the option, file and
 * line involved so that a user can act on them without reading source.
 */

/** Stable error codes. Scripts may match on these; they never change meaning. */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_INPUT'
  | 'E_DECOMPRESS'
  | 'E_DECOMPRESSOR_MISSING'
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

/** Why a compressed input could not be read to its end. */
export type DecompressFailure =
  /** The input ends inside a compressed stream. */
  | 'truncated'
  /** The compressed data is invalid, or its check value (CRC, checksum) does not match. */
  | 'corrupt'
  /** Complete compressed streams are followed by bytes that are not another one. */
  | 'trailing-data';

/**
 * A compressed input (gzip, zstd, xz, bzip2, lz4) that ends early, is corrupt,
 * or is followed by data that is not compressed. Thrown from the iteration of
 * an input's chunks after every byte decompressed before the break was
 * delivered: `decompressedOffset` is the number of decompressed bytes
 * delivered (all of them were scanned, up to the last complete line), and
 * `compressedOffset`, when known (decompression in process), is the offset in
 * the compressed file where the input ended or the trailing data starts, or,
 * for corrupt data, the start of the piece of input (at most 64 KiB) in which
 * the decoder found the damage.
 */
export class DecompressError extends IochuntError {
  readonly path: string;
  /** The compression format: `gzip`, `zstd`, `xz`, `bzip2` or `lz4`. */
  readonly format: string;
  readonly failure: DecompressFailure;
  readonly compressedOffset: number | undefined;
  readonly decompressedOffset: number;

  constructor(
    path: string,
    detail: {
      format: string;
      failure: DecompressFailure;
      reason: string;
      compressedOffset?: number;
      decompressedOffset: number;
    },
    options?: { cause?: unknown },
  ) {
    const where =
      (detail.compressedOffset !== undefined ? `compressed byte ${detail.compressedOffset} (decompressed offset ` : 'decompressed offset ') +
      String(detail.decompressedOffset) +
      (detail.compressedOffset !== undefined ? ')' : '');
    super(
      'E_DECOMPRESS',
      detail.failure === 'trailing-data'
        ? `${path}: ${detail.format} stream followed by data that is not ${detail.format}, at ${where}: ${detail.reason}; ` +
            'the data before it was scanned, the trailing data was not'
        : `${path}: ${detail.format} stream broken at ${where}: ${detail.reason}; hits before the break were kept`,
      options,
    );
    this.path = path;
    this.format = detail.format;
    this.failure = detail.failure;
    this.compressedOffset = detail.compressedOffset;
    this.decompressedOffset = detail.decompressedOffset;
  }

  override get name(): string {
    return 'DecompressError';
  }
}

/** @deprecated The former name of {@link DecompressError}, kept for library users. */
export const GzipError = DecompressError;
/** @deprecated The former name of {@link DecompressError}. */
export type GzipError = DecompressError;

/**
 * The program that decompresses an input's format (xz, bzip2, lz4, zstd on
 * runtimes without zstd in zlib) is not installed: the input is unreadable.
 */
export class DecompressorMissingError extends IochuntError {
  readonly path: string;

  constructor(path: string, format: string, tool: string, debianPackage: string, options?: { cause?: unknown }) {
    super(
      'E_DECOMPRESSOR_MISSING',
      `${path}: ${format}-compressed, but the \`${tool}\` program that decompresses it is not installed ` +
        `(on Debian or Ubuntu: apt-get install ${debianPackage})`,
      options,
    );
    this.path = path;
  }

  override get name(): string {
    return 'DecompressorMissingError';
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
