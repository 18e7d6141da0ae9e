import { ConfigError } from '../config';
import { IamAuthError } from '../evs/auth';
import {
  DeadlineExceededError,
  faultNameForStatus,
  UpstreamBadResponseError,
  UpstreamHttpError,
  UpstreamNetworkError,
  UpstreamTimeoutError,
} from '../evs/errors';
import { ProxyError } from './errors';

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

function withRequestId(message: string, requestId: string | undefined): string {
  return requestId ? `${message} Upstream request id: ${requestId}.` : message;
}

/** Turns any error into the ProxyError callers will see. Upstream bodies, hosts and stacks never pass. */
export function toProxyError(error: unknown): ProxyError {
  if (error instanceof ProxyError) return error;
  if (error instanceof UpstreamHttpError) {
    const requestId = error.requestId;
    if (error.isAuthFailure && error.status !== 403) {
      return new ProxyError(502, 'UPSTREAM_AUTH_FAILED', withRequestId("The upstream refused the proxy's credentials.", requestId), {
        requestId,
        cause: error,
      });
    }
    if (error.status >= 400 && error.status < 500) {
      const code = error.code === error.faultName ? String(error.status) : error.code;
      return new ProxyError(error.status, code, error.upstreamMessage, {
        faultName: error.faultName ?? faultNameForStatus(error.status),
        requestId,
        retryAfterSeconds: error.retryAfterMs === undefined ? undefined : Math.ceil(error.retryAfterMs / 1000),
        cause: error,
      });
    }
    return new ProxyError(502, 'UPSTREAM_ERROR', withRequestId(`The upstream failed with HTTP ${error.status}.`, requestId), {
      requestId,
      expose: true,
      cause: error,
    });
  }
  if (error instanceof UpstreamTimeoutError || error instanceof DeadlineExceededError) {
    return new ProxyError(504, 'UPSTREAM_TIMEOUT', 'The upstream did not answer in time.', { expose: true, cause: error });
  }
  if (error instanceof UpstreamNetworkError) {
    return new ProxyError(502, 'UPSTREAM_UNAVAILABLE', 'The upstream could not be reached.', { expose: true, cause: error });
  }
  if (error instanceof UpstreamBadResponseError) {
    return new ProxyError(502, 'UPSTREAM_BAD_RESPONSE', withRequestId('The upstream sent a response that is not a snapshot list.', error.requestId), {
      requestId: error.requestId,
      expose: true,
      cause: error,
    });
  }
  if (error instanceof IamAuthError) {
    return new ProxyError(502, 'UPSTREAM_AUTH_FAILED', 'The proxy could not obtain an upstream token.', { expose: true, cause: error });
  }
  if (error instanceof ConfigError) {
    return new ProxyError(500, 'PROXY_MISCONFIGURED', 'The proxy is misconfigured; its logs say how.', { cause: error });
  }
  return new ProxyError(500, 'INTERNAL_ERROR', 'The proxy failed unexpectedly.', { cause: error });
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
