import { ConfigError } from '../config';
import { faultNameForStatus, UpstreamHttpError } from '../evs/errors';
import { describeUpstreamFailure } from '../evs/failure';
import { ProxyError } from './errors';
import type { ListAnswer } from './list-snapshots';

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** A 200 with a JSON body. */
export function jsonResponse(body: unknown, statusCode = 200): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

/** The list answer in the seed's shape; the snapshots go out as the upstream wrote them when possible. */
export function listResponse(answer: ListAnswer): HttpResponse {
  if (answer.rawSnapshots === undefined) return jsonResponse(answer.body);
  const body = `{"snapshots":${answer.rawSnapshots},"snapshots_links":${JSON.stringify(answer.body.snapshots_links ?? null)}}`;
  return { statusCode: 200, headers: { ...JSON_HEADERS }, body };
}

/** Turns any error into the ProxyError callers will see. Upstream bodies, hosts and stacks never pass. */
export function toProxyError(error: unknown): ProxyError {
  if (error instanceof ProxyError) return error;
  if (error instanceof ConfigError) {
    return new ProxyError(500, 'PROXY_MISCONFIGURED', 'The proxy is misconfigured; its logs say how.', { cause: error });
  }
  const failure = describeUpstreamFailure(error);
  const requestId = failure.upstreamRequestId;
  // The caller's own mistakes (bad marker, throttling) keep the upstream's status and message.
  if (error instanceof UpstreamHttpError && (failure.code === 'UPSTREAM_REJECTED' || error.status === 429)) {
    const code = error.code === error.faultName ? String(error.status) : error.code;
    return new ProxyError(error.status, code, error.upstreamMessage, {
      faultName: error.faultName ?? faultNameForStatus(error.status),
      requestId,
      retryAfterSeconds: error.retryAfterMs === undefined ? undefined : Math.ceil(error.retryAfterMs / 1000),
      cause: error,
    });
  }
  if (failure.code === 'INTERNAL_ERROR') return new ProxyError(500, 'INTERNAL_ERROR', failure.message, { cause: error });
  const status = failure.code === 'UPSTREAM_TIMEOUT' || failure.code === 'DEADLINE_REACHED' ? 504 : 502;
  const code = failure.code === 'DEADLINE_REACHED' ? 'UPSTREAM_TIMEOUT' : failure.code;
  const message = failure.code === 'DEADLINE_REACHED' ? 'The upstream did not answer in time.' : failure.message;
  return new ProxyError(status, code, message, { requestId, expose: true, cause: error });
}

/** The one error-to-HTTP mapping: the seed's shape, `{"<fault>": {"message", "code"}}`, code a string. */
export function errorResponse(error: unknown): HttpResponse {
  const e = toProxyError(error);
  const faultName = e.options.faultName ?? faultNameForStatus(e.status);
  const message = e.expose ? e.message : 'The proxy failed unexpectedly.';
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (e.options.requestId) headers['X-Upstream-Request-Id'] = e.options.requestId;
  if (e.options.retryAfterSeconds !== undefined) headers['Retry-After'] = String(e.options.retryAfterSeconds);
  return { statusCode: e.status, headers, body: JSON.stringify({ [faultName]: { message, code: e.code } }) };
}
