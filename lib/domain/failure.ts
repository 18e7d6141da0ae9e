import { CodedError } from '../core/errors';

/**
 * The one vocabulary for "a scan or a listing could not be done": each code with a sentence
 * safe to show anyone (no upstream body, host or stack). Errors carry a code; responses and
 * events look the sentence up here. What HTTP status a code answers with is the HTTP layer's
 * business (lib/http/errors.ts), not the domain's.
 */
export const FAILURES = {
  UPSTREAM_AUTH_FAILED: { message: "The upstream refused the service's credentials." },
  UPSTREAM_REJECTED: { message: 'The upstream rejected the request.' },
  UPSTREAM_ERROR: { message: 'The upstream failed.' },
  UPSTREAM_TIMEOUT: { message: 'The upstream did not answer in time.' },
  UPSTREAM_UNAVAILABLE: { message: 'The upstream could not be reached.' },
  UPSTREAM_BAD_RESPONSE: { message: 'The upstream sent a response that is not a snapshot list.' },
  DEADLINE_REACHED: { message: 'The time budget ran out before the upstream answered.' },
  PAGINATION_LOOP: { message: 'The upstream repeated a page; paging stopped to avoid a loop.' },
  PAGE_CAP_REACHED: { message: 'Paging stopped at the page cap before the listing ended.' },
  // Our own dependency, not the upstream: the secret holding the upstream credentials could not be read or used.
  CREDENTIALS_UNAVAILABLE: { message: "The service's upstream credentials could not be read." },
  // The snapshots were read, the volumes were not: orphans could not be told, so nothing is resolved.
  VOLUMES_UNAVAILABLE: {
    message: "The project's volumes could not be listed, so orphaned snapshots could not be checked.",
  },
  STATE_UNAVAILABLE: { message: 'The findings table could not be read or written.' },
  // Reported by the dispatcher, whether or not the project's worker ever ran.
  NOT_SCANNED: { message: 'The project has not been scanned completely in the last two cycles.' },
  SCAN_IN_PROGRESS: { message: 'Another scan of this project was still running; this run left it alone.' },
  INTERNAL_ERROR: { message: 'An unexpected error occurred.' },
} as const satisfies Record<string, { message: string }>;

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
 * Base of every error that is a known failure of a scan or a listing rather than a bug: it
 * names its failure code, and the sentence safe to show comes from FAILURES.
 */
export abstract class FailureError extends CodedError {
  abstract override readonly code: FailureCode;

  /** Status of the upstream's answer, when there was one. */
  get upstreamStatus(): number | undefined {
    return undefined;
  }

  get upstreamRequestId(): string | undefined {
    return undefined;
  }

  /** A sentence for responses and events: the code's own words, the status and the request id, never upstream text. */
  override get safeMessage(): string {
    const base = FAILURES[this.code].message;
    const status = this.upstreamStatus === undefined ? '' : ` (HTTP ${this.upstreamStatus})`;
    const id = this.upstreamRequestId ? ` Upstream request id: ${this.upstreamRequestId}.` : '';
    return `${base.replace(/\.$/, '')}${status}.${id}`;
  }
}

/** Names what went wrong, in words and a code, for responses and events alike. Anything not a FailureError is a bug. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof FailureError) {
    return {
      code: error.code,
      message: error.safeMessage,
      upstreamStatus: error.upstreamStatus,
      upstreamRequestId: error.upstreamRequestId,
    };
  }
  return { code: 'INTERNAL_ERROR', message: FAILURES.INTERNAL_ERROR.message };
}
