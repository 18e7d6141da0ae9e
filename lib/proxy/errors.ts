/**
 * The one error type the proxy answers with. `expose` says whether the message may reach the
 * caller; when false the mapping replaces it with a generic one.
 */
export class ProxyError extends Error {
  override name = 'ProxyError';
  constructor(
    readonly status: number,
    /** Machine-readable code in the body, e.g. `INVALID_PARAMETER` or an upstream `EVS.1002`. */
    readonly code: string,
    message: string,
    readonly options: {
      /** Body key; defaults to Cinder's fault name for the status. */
      faultName?: string;
      expose?: boolean;
      requestId?: string | undefined;
      retryAfterSeconds?: number | undefined;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
  }

  get expose(): boolean {
    return this.options.expose ?? this.status < 500;
  }
}

/** A request parameter broke a rule of the API; the message names both. */
export function invalidParameter(name: string, rule: string): ProxyError {
  return new ProxyError(400, 'INVALID_PARAMETER', `Invalid parameter "${name}": ${rule}.`);
}
