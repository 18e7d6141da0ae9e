import { type FailureCode, FailureError } from '../domain/failure';
import { containsSecret, redactSecrets, safeRequestId } from './untrusted';

export { describeFailure } from '../domain/failure';

/** Base of every error raised while talking to the EVS/Cinder upstream. */
export abstract class EvsError extends FailureError {
  override name = 'EvsError';
  /** The status of the upstream's answer, when there was one. */
  declare readonly status?: number | undefined;
  /** The upstream's request id, when it sent a usable one. */
  declare readonly requestId?: string | undefined;

  override get upstreamStatus(): number | undefined {
    return this.status;
  }

  override get upstreamRequestId(): string | undefined {
    return this.requestId;
  }
}

/** The upstream answered with a non-2xx status; fields come from whichever error shape it used. */
export class UpstreamHttpError extends EvsError {
  override name = 'UpstreamHttpError';
  readonly code: FailureCode;
  constructor(
    override readonly status: number,
    /** Fault name or error code: `itemNotFound`, `EVS.0001`, `APIGW.0301`, ... */
    public upstreamCode: string,
    /** The upstream's message; only ever shown to callers for 4xx, and then cleaned. */
    upstreamMessage: string,
    public override requestId: string | undefined,
    /** The fault key of a Cinder-style body (`badRequest`, `itemNotFound`, ...), if any. */
    readonly faultName: string | undefined,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`upstream answered ${status} ${upstreamCode}`, { retryable: status === 429 || status >= 500 });
    this.upstreamMessage = upstreamMessage;
    this.code = this.isAuthFailure
      ? 'UPSTREAM_AUTH_FAILED'
      : status < 500 && status !== 429
        ? 'UPSTREAM_REJECTED'
        : 'UPSTREAM_ERROR';
  }

  /** The upstream's message, with every credential this client holds blanked out. */
  upstreamMessage: string;

  /**
   * Blanks out credential values an upstream echoed back (as is, in another letter case, base64
   * or %-encoded), before anything can show them: from the message; a code or request id holding
   * one is dropped.
   */
  scrub(secrets: readonly string[]): this {
    this.upstreamMessage = redactSecrets(this.upstreamMessage, secrets);
    if (containsSecret(this.upstreamCode, secrets)) this.upstreamCode = faultNameForStatus(this.status);
    if (this.requestId !== undefined && containsSecret(this.requestId, secrets)) this.requestId = undefined;
    return this;
  }

  /** Signature and credential failures: retrying them only locks the key. */
  get isAuthFailure(): boolean {
    return this.status === 401 || this.status === 403 || /^APIGW\.03/.test(this.upstreamCode);
  }
}

/** The request did not finish within its own timeout. */
export class UpstreamTimeoutError extends EvsError {
  override name = 'UpstreamTimeoutError';
  readonly code = 'UPSTREAM_TIMEOUT' as const;
  constructor(
    readonly timeoutMs: number,
    cause?: unknown,
  ) {
    super(`upstream did not answer within ${timeoutMs} ms`, { cause, retryable: true });
  }
}

/** Connection refused, reset, DNS failure and the like. */
export class UpstreamNetworkError extends EvsError {
  override name = 'UpstreamNetworkError';
  readonly code = 'UPSTREAM_UNAVAILABLE' as const;
  constructor(cause: unknown) {
    super(`upstream could not be reached: ${describeCause(cause)}`, { cause, retryable: true });
  }
}

/** A 2xx whose body is not the list API's shape, a redirect, or a body too large to use. */
export class UpstreamBadResponseError extends EvsError {
  override name = 'UpstreamBadResponseError';
  readonly code = 'UPSTREAM_BAD_RESPONSE' as const;
  constructor(
    detail: string,
    override readonly requestId: string | undefined,
    override readonly status?: number,
  ) {
    super(`upstream sent an unusable response: ${detail}`);
  }
}

/** The caller's deadline leaves no time for another attempt. */
export class DeadlineExceededError extends EvsError {
  override name = 'DeadlineExceededError';
  readonly code = 'DEADLINE_REACHED' as const;
  constructor(readonly lastError?: unknown) {
    super('deadline reached before the upstream answered', { cause: lastError });
  }
}

/** The pager saw the upstream repeat a marker or a page, or hit its page cap. */
export class PaginationError extends EvsError {
  override name = 'PaginationError';
  readonly code: FailureCode;
  constructor(
    message: string,
    readonly reason: 'repeated-marker' | 'repeated-page' | 'page-cap',
  ) {
    super(message);
    this.code = reason === 'page-cap' ? 'PAGE_CAP_REACHED' : 'PAGINATION_LOOP';
  }
}

/** IAM would not issue a token. */
export class IamAuthError extends EvsError {
  override name = 'IamAuthError';
  readonly code = 'UPSTREAM_AUTH_FAILED' as const;
  constructor(
    message: string,
    override readonly status: number | undefined,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code ?? (cause.cause as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : cause.message;
  }
  return String(cause);
}

const STATUS_FAULTS: Readonly<Record<number, string>> = Object.assign(Object.create(null) as Record<number, string>, {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
});

/** The Cinder fault name Cinder itself would use for a status. */
export function faultNameForStatus(status: number): string {
  return STATUS_FAULTS[status] ?? (status < 500 ? 'badRequest' : 'computeFault');
}

function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

// Codes are echoed to callers: only plain tokens, never free text (request ids: safeRequestId).
const TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;
const safeToken = (value: string | undefined | null): string | undefined =>
  value && TOKEN.test(value) ? value : undefined;

const URL_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/\S*/gi;
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g;
const IPV6 = /\[?\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}\]?(?::\d+)?/gi;
const HOST = /\b(?:[a-z0-9-]+\.)+(?:internal|local|lan|corp|intra|com|net|org|cloud|io)\b(?::\d+)?/gi;
// A credential the upstream echoed back with its label: header names, signature parts, key=value.
const LABELLED_CREDENTIAL =
  /\b(?:authorization|x-auth-token|x-subject-token|x-security-token|signature|access|credential|password|secret|token|sk|ak)\b\s*[:=]?\s*(?:SDK-HMAC-SHA256\s+)?[^\s,;]+/gi;
export const MAX_UPSTREAM_MESSAGE = 200;

/** An upstream 4xx message fit to pass on: echoed credentials, URLs, addresses and host names removed, length capped. */
export function cleanUpstreamMessage(message: string): string {
  const cleaned = message
    .replace(LABELLED_CREDENTIAL, '[redacted]')
    .replace(URL_TEXT, '[url]')
    .replace(IPV4, '[address]')
    .replace(IPV6, '[address]')
    .replace(HOST, '[host]')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters become spaces
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim();
  return cleaned.length > MAX_UPSTREAM_MESSAGE
    ? `${cleaned.slice(0, MAX_UPSTREAM_MESSAGE - 1)}…`
    : cleaned || 'The upstream rejected the request.';
}

/**
 * Normalises the three upstream error shapes — Cinder fault `{"itemNotFound": {"code": 404}}`,
 * EVS `{"error": {"code": "EVS.0001"}}` and API gateway `{"error_code", "error_msg"}` — into one error.
 */
export function normaliseUpstreamError(
  status: number,
  bodyText: string,
  headers: { get(name: string): string | null },
  now: number = Date.now(),
): UpstreamHttpError {
  const headerId = safeRequestId(headers.get('x-request-id')) ?? safeRequestId(headers.get('x-openstack-request-id'));
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'), now);
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  let code: string | undefined;
  let message: string | undefined;
  let faultName: string | undefined;
  let bodyRequestId: string | undefined;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    if (Object.hasOwn(record, 'error_code') || Object.hasOwn(record, 'error_msg')) {
      code = asText(record.error_code);
      message = asText(record.error_msg);
      bodyRequestId = asText(record.request_id);
    } else {
      const keys = Object.keys(record);
      const key = keys.length === 1 ? keys[0] : keys.find((k) => k === 'error');
      const inner = key === undefined ? undefined : record[key];
      if (key && inner && typeof inner === 'object') {
        const fault = inner as Record<string, unknown>;
        message = asText(fault.message);
        const rawCode = asText(fault.code);
        if (key === 'error') {
          code = rawCode;
        } else if (/^[A-Za-z]{1,64}$/.test(key)) {
          faultName = key;
          // Cinder's integer code repeats the status; the fault name is the meaningful code.
          code = rawCode && !/^\d+$/.test(rawCode) ? rawCode : key;
        }
      }
    }
  }
  return new UpstreamHttpError(
    status,
    safeToken(code) ?? faultNameForStatus(status),
    message ?? `HTTP ${status}`,
    headerId ?? safeRequestId(bodyRequestId),
    faultName,
    retryAfterMs,
  );
}
