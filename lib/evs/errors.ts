/** Base of every error raised while talking to the EVS/Cinder upstream. */
export class EvsError extends Error {
  override name = 'EvsError';
  /** Whether the same idempotent request may succeed when retried. */
  readonly retryable: boolean;
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }
}

/** The upstream answered with a non-2xx status; fields come from whichever error shape it used. */
export class UpstreamHttpError extends EvsError {
  override name = 'UpstreamHttpError';
  constructor(
    readonly status: number,
    /** Fault name or error code: `itemNotFound`, `EVS.0001`, `APIGW.0301`, ... */
    readonly code: string,
    /** The upstream's message; only ever shown to callers for 4xx. */
    readonly upstreamMessage: string,
    readonly requestId: string | undefined,
    /** The fault key of a Cinder-style body (`badRequest`, `itemNotFound`, ...), if any. */
    readonly faultName: string | undefined,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`upstream answered ${status} ${code}: ${upstreamMessage}`, {
      retryable: status === 429 || status >= 500,
    });
  }

  /** Signature and credential failures: retrying them only locks the key. */
  get isAuthFailure(): boolean {
    return this.status === 401 || this.status === 403 || /^APIGW\.03/.test(this.code);
  }
}

/** The request did not finish within its own timeout. */
export class UpstreamTimeoutError extends EvsError {
  override name = 'UpstreamTimeoutError';
  constructor(readonly timeoutMs: number, cause?: unknown) {
    super(`upstream did not answer within ${timeoutMs} ms`, { cause, retryable: true });
  }
}

/** Connection refused, reset, DNS failure and the like. */
export class UpstreamNetworkError extends EvsError {
  override name = 'UpstreamNetworkError';
  constructor(cause: unknown) {
    super(`upstream could not be reached: ${describeCause(cause)}`, { cause, retryable: true });
  }
}

/** A 2xx whose body is not the list API's shape. */
export class UpstreamBadResponseError extends EvsError {
  override name = 'UpstreamBadResponseError';
  constructor(
    detail: string,
    readonly requestId: string | undefined,
  ) {
    super(`upstream sent an unusable response: ${detail}`);
  }
}

/** The caller's deadline leaves no time for another attempt. */
export class DeadlineExceededError extends EvsError {
  override name = 'DeadlineExceededError';
  constructor(readonly lastError?: unknown) {
    super('deadline reached before the upstream answered', { cause: lastError });
  }
}

/** The pager saw the upstream repeat a marker, or hit its page cap. */
export class PaginationError extends EvsError {
  override name = 'PaginationError';
  constructor(
    message: string,
    readonly reason: 'repeated-marker' | 'page-cap',
  ) {
    super(message);
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code ?? (cause.cause as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : cause.message;
  }
  return String(cause);
}

const STATUS_FAULTS: Record<number, string> = {
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
};

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
  const requestId = headers.get('x-request-id') ?? headers.get('x-openstack-request-id') ?? undefined;
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
    if ('error_code' in record || 'error_msg' in record) {
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
        } else {
          faultName = key;
          // Cinder's integer code repeats the status; the fault name is the meaningful code.
          code = rawCode && !/^\d+$/.test(rawCode) ? rawCode : key;
        }
      }
    }
  }
  return new UpstreamHttpError(
    status,
    code ?? faultNameForStatus(status),
    message ?? `HTTP ${status}`,
    requestId ?? bodyRequestId,
    faultName,
    retryAfterMs,
  );
}
