import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { faultNameForStatus } from '../../lib/upstream/errors';

/** Writes a JSON answer with the request id header Cinder sends. */
export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-openstack-request-id': `req-${randomUUID()}`,
    ...headers,
  });
  res.end(text);
}

/** A Cinder-style fault body. */
export function fault(res: ServerResponse, status: number, message: string): void {
  send(res, status, { [faultNameForStatus(status)]: { message, code: status } });
}

/** An API gateway-style error body, as Huawei's gateway answers signature failures. */
export function apigwError(res: ServerResponse, status: number, code: string, message: string): void {
  const requestId = randomUUID().replace(/-/g, '');
  send(res, status, { error_code: code, error_msg: message, request_id: requestId }, { 'X-Request-Id': requestId });
}

/** The first value of a request header. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
