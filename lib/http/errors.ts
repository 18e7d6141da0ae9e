import { ConfigError, RequestError, type RequestFault } from '../core/errors';
import { describeFailure, FAILURES, type FailureCode, FailureError } from '../domain/failure';
import { cleanUpstreamMessage, faultNameForStatus, UpstreamHttpError } from '../upstream/errors';
import { type HttpResponse, JSON_HEADERS } from './response';

/**
 * An error as an API answers it, after the mapping (middy's convention: `statusCode`, and
 * `expose` saying whether the message may reach the caller; when false a generic one replaces it).
 */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly expose: boolean;
  constructor(
    readonly statusCode: number,
    /** Machine-readable code in the body, e.g. `INVALID_PARAMETER` or an upstream `EVS.1002`. */
    readonly code: string,
    message: string,
    readonly options: {
      /** Body key; defaults to Cinder's fault name for the status. */
      faultName?: string | undefined;
      expose?: boolean;
      requestId?: string | undefined;
      retryAfterSeconds?: number | undefined;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.expose = options.expose ?? statusCode < 500;
  }
}

const REQUEST_FAULT_STATUS: Readonly<Record<RequestFault, number>> = {
  invalid: 400,
  forbidden: 403,
  'not-found': 404,
  'unsupported-method': 405,
  conflict: 409,
  'unsupported-media-type': 415,
};

/** The status of each failure an API can answer with; a failure not listed never reaches HTTP and would be a 500. */
const FAILURE_STATUS: Readonly<Partial<Record<FailureCode, number>>> = {
  UPSTREAM_AUTH_FAILED: 502,
  UPSTREAM_REJECTED: 400,
  UPSTREAM_ERROR: 502,
  UPSTREAM_TIMEOUT: 504,
  UPSTREAM_UNAVAILABLE: 502,
  UPSTREAM_BAD_RESPONSE: 502,
  DEADLINE_REACHED: 504,
  PAGINATION_LOOP: 502,
  PAGE_CAP_REACHED: 502,
  // Our own dependency, not the upstream's.
  CREDENTIALS_UNAVAILABLE: 503,
  STATE_UNAVAILABLE: 502,
};

// Callers see a timeout: to them the difference between our budget and the upstream's is moot.
const SHOWN_AS: Readonly<Partial<Record<FailureCode, FailureCode>>> = { DEADLINE_REACHED: 'UPSTREAM_TIMEOUT' };

/**
 * The one error-to-HTTP mapping, by lookup: a caller's mistake is its fault's 4xx with its own
 * message; what the upstream refused as the caller's mistake keeps its status and a cleaned
 * message; every other known failure is its code's status and safe sentence; a configuration
 * error is a 500 that points at the logs; anything else is a bug, a 500 with nothing of the error in it.
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof RequestError)
    return new HttpError(REQUEST_FAULT_STATUS[error.fault], error.code, error.safeMessage, { cause: error });
  if (error instanceof ConfigError) {
    return new HttpError(500, 'PROXY_MISCONFIGURED', 'The proxy is misconfigured; its logs say how.', {
      cause: error,
      expose: true,
    });
  }
  if (error instanceof UpstreamHttpError && (error.code === 'UPSTREAM_REJECTED' || error.status === 429)) {
    const code = error.upstreamCode === error.faultName ? String(error.status) : error.upstreamCode;
    return new HttpError(error.status, code, cleanUpstreamMessage(error.upstreamMessage), {
      faultName: error.faultName,
      requestId: error.requestId,
      retryAfterSeconds: error.retryAfterMs === undefined ? undefined : Math.ceil(error.retryAfterMs / 1000),
      cause: error,
    });
  }
  if (!(error instanceof FailureError))
    return new HttpError(500, 'INTERNAL_ERROR', FAILURES.INTERNAL_ERROR.message, { cause: error });
  const failure = describeFailure(error);
  const shown = SHOWN_AS[failure.code];
  return new HttpError(
    FAILURE_STATUS[failure.code] ?? 500,
    shown ?? failure.code,
    shown ? FAILURES[shown].message : failure.message,
    { requestId: failure.upstreamRequestId, expose: true, cause: error },
  );
}

/** Any error as an answer in the EVS API's shape, `{"<fault>": {"message", "code"}}`, code a string; both APIs answer so. */
export function errorResponse(error: unknown): HttpResponse {
  const e = toHttpError(error);
  const faultName = e.options.faultName ?? faultNameForStatus(e.statusCode);
  const message = e.expose ? e.message : 'The proxy failed unexpectedly.';
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (e.options.requestId) headers['X-Upstream-Request-Id'] = e.options.requestId;
  if (e.options.retryAfterSeconds !== undefined) headers['Retry-After'] = String(e.options.retryAfterSeconds);
  return { statusCode: e.statusCode, headers, body: JSON.stringify({ [faultName]: { message, code: e.code } }) };
}
