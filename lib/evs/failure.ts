import { IamAuthError } from './auth';
import {
  DeadlineExceededError,
  PaginationError,
  UpstreamBadResponseError,
  UpstreamHttpError,
  UpstreamNetworkError,
  UpstreamTimeoutError,
} from './errors';

export type UpstreamFailureCode =
  | 'UPSTREAM_AUTH_FAILED'
  | 'UPSTREAM_REJECTED'
  | 'UPSTREAM_ERROR'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_BAD_RESPONSE'
  | 'DEADLINE_REACHED'
  | 'PAGINATION_LOOP'
  | 'PAGE_CAP_REACHED'
  | 'INTERNAL_ERROR';

export interface UpstreamFailure {
  code: UpstreamFailureCode;
  /** A sentence safe to show anyone: no upstream body, host or stack. */
  message: string;
  upstreamStatus?: number | undefined;
  upstreamRequestId?: string | undefined;
}

function withRequestId(message: string, requestId: string | undefined): string {
  return requestId ? `${message} Upstream request id: ${requestId}.` : message;
}

/** Names what went wrong talking to the upstream, in words and a code, for responses and events alike. */
export function describeUpstreamFailure(error: unknown): UpstreamFailure {
  if (error instanceof UpstreamHttpError) {
    const base = { upstreamStatus: error.status, upstreamRequestId: error.requestId };
    if (error.isAuthFailure) {
      return { ...base, code: 'UPSTREAM_AUTH_FAILED', message: withRequestId(`The upstream refused the proxy's credentials (HTTP ${error.status} ${error.code}).`, error.requestId) };
    }
    if (error.status < 500 && error.status !== 429) {
      return { ...base, code: 'UPSTREAM_REJECTED', message: withRequestId(`The upstream rejected the request with HTTP ${error.status} ${error.code}.`, error.requestId) };
    }
    return { ...base, code: 'UPSTREAM_ERROR', message: withRequestId(`The upstream failed with HTTP ${error.status}.`, error.requestId) };
  }
  if (error instanceof DeadlineExceededError) return { code: 'DEADLINE_REACHED', message: 'The time budget ran out before the upstream answered.' };
  if (error instanceof UpstreamTimeoutError) return { code: 'UPSTREAM_TIMEOUT', message: 'The upstream did not answer in time.' };
  if (error instanceof UpstreamNetworkError) return { code: 'UPSTREAM_UNAVAILABLE', message: 'The upstream could not be reached.' };
  if (error instanceof UpstreamBadResponseError) {
    return { code: 'UPSTREAM_BAD_RESPONSE', message: withRequestId('The upstream sent a response that is not a snapshot list.', error.requestId), upstreamRequestId: error.requestId };
  }
  if (error instanceof IamAuthError) return { code: 'UPSTREAM_AUTH_FAILED', message: 'No upstream token could be obtained from IAM.' };
  if (error instanceof PaginationError) {
    return error.reason === 'repeated-marker'
      ? { code: 'PAGINATION_LOOP', message: 'The upstream repeated a page marker; paging stopped to avoid a loop.' }
      : { code: 'PAGE_CAP_REACHED', message: 'Paging stopped at the page cap before the listing ended.' };
  }
  return { code: 'INTERNAL_ERROR', message: 'An unexpected error occurred.' };
}
