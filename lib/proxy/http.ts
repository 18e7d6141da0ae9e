import { CodedError, describeFailure, FAILURES } from '../domain/failure';
import { cleanUpstreamMessage, faultNameForStatus, UpstreamHttpError } from '../upstream/errors';
import { ConfigError } from '../config/env';
import { ProxyError } from './errors';
import type { ListAnswer } from './list-snapshots';

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/**
 * What one Lambda answer may weigh: 6 MB for the whole invocation payload, in which the body is
 * a JSON string (so each quote and backslash counts twice), less room for status and headers.
 */
export const MAX_ANSWER_BYTES = 6 * 1024 * 1024 - 16 * 1024;

/** A JSON answer. */
export function jsonResponse(body: unknown, statusCode = 200): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

function payloadBytes(body: string): number {
  const bytes = Buffer.byteLength(body, 'utf8');
  // Escaping can at most double the size; count exactly only when it might matter.
  return bytes * 2 < MAX_ANSWER_BYTES ? bytes : Buffer.byteLength(JSON.stringify(body), 'utf8');
}

/** The list answer in the EVS API's shape; refused as a 502 when Lambda could not deliver it. */
export function listResponse(answer: ListAnswer): HttpResponse {
  const links = answer.nextHref === undefined ? 'null' : JSON.stringify([{ rel: 'next', href: answer.nextHref }]);
  const body = `{"snapshots":${answer.snapshotsJson},"snapshots_links":${links}}`;
  if (payloadBytes(body) > MAX_ANSWER_BYTES) {
    throw new ProxyError(502, 'UPSTREAM_BAD_RESPONSE', 'The upstream page is too large for one answer; ask for a smaller limit.', { requestId: answer.upstreamRequestId, expose: true });
  }
  return { statusCode: 200, headers: { ...JSON_HEADERS }, body };
}

/**
 * Turns any error into the ProxyError callers will see, by lookup: the caller's own mistakes
 * the upstream refused keep its status and a cleaned message; every other upstream failure is
 * its code's status and sentence; anything else is a bug, a 500 with nothing of the error in it.
 */
export function toProxyError(error: unknown): ProxyError {
  if (error instanceof ProxyError) return error;
  if (error instanceof ConfigError) {
    return new ProxyError(500, 'PROXY_MISCONFIGURED', 'The proxy is misconfigured; its logs say how.', { cause: error, expose: true });
  }
  if (error instanceof UpstreamHttpError && (error.code === 'UPSTREAM_REJECTED' || error.status === 429)) {
    const code = error.upstreamCode === error.faultName ? String(error.status) : error.upstreamCode;
    return new ProxyError(error.status, code, cleanUpstreamMessage(error.upstreamMessage), {
      faultName: error.faultName ?? faultNameForStatus(error.status),
      requestId: error.requestId,
      retryAfterSeconds: error.retryAfterMs === undefined ? undefined : Math.ceil(error.retryAfterMs / 1000),
      cause: error,
    });
  }
  if (!(error instanceof CodedError)) return new ProxyError(500, 'INTERNAL_ERROR', FAILURES.INTERNAL_ERROR.message, { cause: error });
  const failure = describeFailure(error);
  const entry = FAILURES[failure.code];
  const code = 'httpCode' in entry ? entry.httpCode : failure.code;
  const message = 'httpCode' in entry ? FAILURES[entry.httpCode].message : failure.message;
  return new ProxyError(entry.status, code, message, { requestId: failure.upstreamRequestId, expose: true, cause: error });
}

/** The one error-to-HTTP mapping: the EVS API's shape, `{"<fault>": {"message", "code"}}`, code a string. */
export function errorResponse(error: unknown): HttpResponse {
  const e = toProxyError(error);
  const faultName = e.options.faultName ?? faultNameForStatus(e.status);
  const message = e.expose ? e.message : 'The proxy failed unexpectedly.';
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (e.options.requestId) headers['X-Upstream-Request-Id'] = e.options.requestId;
  if (e.options.retryAfterSeconds !== undefined) headers['Retry-After'] = String(e.options.retryAfterSeconds);
  return { statusCode: e.status, headers, body: JSON.stringify({ [faultName]: { message, code: e.code } }) };
}
