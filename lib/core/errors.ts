/**
 * The project's one error family. Every known failure is a `CodedError`: a code to branch on, a
 * message, the `cause` kept, and context fields for logs. Nothing here knows HTTP: statuses and
 * what a caller may see are decided by the HTTP layer (lib/http/errors.ts) alone.
 */

export interface CodedErrorOptions {
  cause?: unknown;
  /** Whether the same idempotent operation may succeed when tried again. */
  retryable?: boolean;
  /** Fields that help whoever reads the log; never shown to a caller. */
  context?: Readonly<Record<string, unknown>>;
}

/** Base of every error that is a known failure rather than a bug. */
export abstract class CodedError extends Error {
  abstract readonly code: string;
  readonly retryable: boolean;
  readonly context: Readonly<Record<string, unknown>>;
  constructor(message: string, options: CodedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? false;
    this.context = options.context ?? {};
  }

  /** A sentence safe to show anyone; subclasses whose message may hold untrusted text override it. */
  get safeMessage(): string {
    return this.message;
  }
}

/** A setting is missing or malformed; the message names the variable (or file, line and field) and the rule. */
export class ConfigError extends CodedError {
  override name = 'ConfigError';
  readonly code = 'CONFIG_INVALID' as const;
}

/** How a caller's request was wrong, which the HTTP layer turns into a status. */
export type RequestFault =
  | 'invalid'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'unsupported-method'
  | 'unsupported-media-type';

/**
 * The caller asked for something that cannot be done as asked: a bad parameter or body, a
 * project or finding it may not touch, an invocation payload outside its schema. The message
 * is written for the caller and safe to show.
 */
export class RequestError extends CodedError {
  override name = 'RequestError';
  constructor(
    readonly fault: RequestFault,
    /** A token callers may branch on, e.g. `INVALID_PARAMETER`. */
    readonly code: string,
    message: string,
    options: CodedErrorOptions = {},
  ) {
    super(message, options);
  }
}
