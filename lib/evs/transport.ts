import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** What the client needs of one HTTP exchange. */
export interface TransportResponse {
  status: number;
  header(name: string): string | undefined;
  body: string;
}

/** One GET with a whole-exchange timeout; rejects with an error named `TimeoutError` when it runs out. */
export interface HttpTransport {
  get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<TransportResponse>;
}

/** Bodies larger than this are refused rather than buffered: a full page of 1000 snapshots is ~0.5 MB. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

function timeoutError(ms: number): Error {
  const error = new Error(`no complete answer within ${ms} ms`);
  error.name = 'TimeoutError';
  return error;
}

/**
 * node:http(s) with keep-alive agents: about 40% less CPU per request than fetch here
 * (bench/), which is most of the proxy's own cost. A socket gone stale while Lambda was frozen
 * fails with ECONNRESET, a network error the client retries.
 */
export function nodeHttpTransport(): HttpTransport {
  const agents = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: 64 }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };
  return {
    get(url, headers, timeoutMs) {
      return new Promise((resolve, reject) => {
        const target = new URL(url);
        const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
        const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
        const req = send(target, { method: 'GET', headers, agent }, (res: IncomingMessage) => {
          res.setEncoding('utf8');
          let body = '';
          res.on('data', (chunk: string) => {
            body += chunk;
            if (body.length > MAX_BODY_BYTES) req.destroy(new BodyTooLargeError(`response body over ${MAX_BODY_BYTES} bytes`));
          });
          res.on('end', () => {
            clearTimeout(timer);
            const h = res.headers;
            resolve({
              status: res.statusCode ?? 0,
              header: (name) => {
                const value = h[name.toLowerCase()];
                return Array.isArray(value) ? value.join(', ') : value;
              },
              body,
            });
          });
          res.on('error', (error) => {
            clearTimeout(timer);
            reject(error);
          });
        });
        const timer = setTimeout(() => req.destroy(timeoutError(timeoutMs)), timeoutMs);
        req.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        req.end();
      });
    },
  };
}
