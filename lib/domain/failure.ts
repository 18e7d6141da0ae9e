/**
 * The one vocabulary for "could not talk to the upstream": each code with the HTTP status the
 * proxy answers, the code it shows callers, and a sentence safe to show anyone (no upstream
 * body, host or stack). Errors carry a code; responses and events look it up here.
 */
export const FAILURES = {
  UPSTREAM_AUTH_FAILED: { status: 502, message: "The upstream refused the service's credentials." },
  UPSTREAM_REJECTED: { status: 400, message: 'The upstream rejected the request.' },
  UPSTREAM_ERROR: { status: 502, message: 'The upstream failed.' },
  UPSTREAM_TIMEOUT: { status: 504, message: 'The upstream did not answer in time.' },
  UPSTREAM_UNAVAILABLE: { status: 502, message: 'The upstream could not be reached.' },
  UPSTREAM_BAD_RESPONSE: { status: 502, message: 'The upstream sent a response that is not a snapshot list.' },
  // Callers see a timeout: to them the difference between our budget and the upstream's is moot.
  DEADLINE_REACHED: { status: 504, message: 'The time budget ran out before the upstream answered.', httpCode: 'UPSTREAM_TIMEOUT' },
  PAGINATION_LOOP: { status: 502, message: 'The upstream repeated a page; paging stopped to avoid a loop.' },
  PAGE_CAP_REACHED: { status: 502, message: 'Paging stopped at the page cap before the listing ended.' },
  // Our own dependency, not the upstream: the secret holding the upstream credentials could not be read or used.
  CREDENTIALS_UNAVAILABLE: { status: 503, message: "The service's upstream credentials could not be read." },
  // The snapshots were read, the volumes were not: orphans could not be told, so nothing is resolved.
  VOLUMES_UNAVAILABLE: { status: 502, message: "The project's volumes could not be listed, so orphaned snapshots could not be checked." },
  STATE_UNAVAILABLE: { status: 502, message: 'The findings table could not be read or written.' },
  // Reported by the dispatcher, whether or not the project's worker ever ran.
  NOT_SCANNED: { status: 504, message: 'The project has not been scanned completely in the last two cycles.' },
  SCAN_IN_PROGRESS: { status: 409, message: 'Another scan of this project was still running; this run left it alone.' },
  INTERNAL_ERROR: { status: 500, message: 'An unexpected error occurred.' },
} as const satisfies Record<string, { status: number; message: string; httpCode?: string }>;

export type FailureCode = keyof typeof FAILURES;

/** What went wrong, as responses and events report it. */
export interface Failure {
  code: FailureCode;
  /** A sentence safe to show anyone. */
  message: string;
  upstreamStatus?: number | undefined;
  upstreamRequestId?: string | undefined;
}

/**
 * Base of every error that is a known failure rather than a bug: it names its code, and the
 * HTTP status and the sentence safe to show come from FAILURES.
 */
export abstract class CodedError extends Error {
  abstract readonly code: FailureCode;
  /** Whether the same idempotent request may succeed when retried. */
  readonly retryable: boolean;
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }

  /** Status of the upstream's answer, when there was one. */
  get upstreamStatus(): number | undefined {
    return undefined;
  }

  get upstreamRequestId(): string | undefined {
    return undefined;
  }

  /** A sentence for responses and events: the code's own words, the status and the request id, never upstream text. */
  get safeMessage(): string {
    const base = FAILURES[this.code].message;
    const status = this.upstreamStatus === undefined ? '' : ` (HTTP ${this.upstreamStatus})`;
    const id = this.upstreamRequestId ? ` Upstream request id: ${this.upstreamRequestId}.` : '';
    return `${base.replace(/\.$/, '')}${status}.${id}`;
  }
}

/** Names what went wrong, in words and a code, for responses and events alike. Anything not a CodedError is a bug. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof CodedError) {
    return { code: error.code, message: error.safeMessage, upstreamStatus: error.upstreamStatus, upstreamRequestId: error.upstreamRequestId };
  }
  return { code: 'INTERNAL_ERROR', message: FAILURES.INTERNAL_ERROR.message };
}
