export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export const JSON_HEADERS: Readonly<Record<string, string>> = { 'Content-Type': 'application/json' };

/**
 * What one Lambda answer may weigh: 6 MB for the whole invocation payload, in which the body is
 * a JSON string (so each quote and backslash counts twice), less room for status and headers.
 */
export const MAX_ANSWER_BYTES = 6 * 1024 * 1024 - 16 * 1024;

/** A JSON answer. */
export function jsonResponse(body: unknown, statusCode = 200): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

/** Whether Lambda can deliver a body of this text as one answer. */
export function fitsOneAnswer(body: string): boolean {
  const bytes = Buffer.byteLength(body, 'utf8');
  // Escaping can at most double the size; count exactly only when it might matter.
  return (bytes * 2 < MAX_ANSWER_BYTES ? bytes : Buffer.byteLength(JSON.stringify(body), 'utf8')) <= MAX_ANSWER_BYTES;
}
