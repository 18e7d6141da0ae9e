import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** What the client needs of one HTTP exchange. */
export interface TransportResponse {
  status: number;
  header(name: string): string | undefined;
  body: string;
}

/** One GET with a whole-exchange timeout; rejects with TransportTimeoutError or BodyTooLargeError, else a network error. */
export interface HttpTransport {
  get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<TransportResponse>;
  /** Any other method, with an optional JSON body (the remediation function's writes). */
  send?(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<TransportResponse>;
}

/** Bodies larger than this are refused rather than buffered: a full page of 1000 snapshots is about 0.5 MB. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The exchange did not complete within its timeout. */
export class TransportTimeoutError extends Error {
  override name = 'TransportTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
  }
}

/** The body grew past the byte cap and was cut off. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`response body over ${limitBytes} bytes`);
  }
}

/**
 * node:http(s) with keep-alive agents: about 40% less CPU per request than fetch here
 * (bench/), which is most of the proxy's own cost. Redirects are not followed. A socket gone
 * stale while Lambda was frozen fails with ECONNRESET, a network error the client retries.
 */
export function nodeHttpTransport(options: { maxBodyBytes?: number } = {}): HttpTransport {
  const maxBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
  };
  const transport: Required<HttpTransport> = {
    get: (url, headers, timeoutMs) => transport.send('GET', url, headers, undefined, timeoutMs),
    send(method, url, headers, body, timeoutMs) {
      return new Promise((resolve, reject) => {
        const target = new URL(url);
        const secure = target.protocol === 'https:';
        const send = secure ? httpsRequest : httpRequest;
        const sent =
          body === undefined
            ? headers
            : { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) };
        const req = send(
          target,
          { method, headers: sent, agent: secure ? agents.https : agents.http },
          (res: IncomingMessage) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (chunk: Buffer) => {
              size += chunk.length;
              if (size > maxBytes) req.destroy(new BodyTooLargeError(maxBytes));
              else chunks.push(chunk);
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
                body: Buffer.concat(chunks, size).toString('utf8'),
              });
            });
            res.on('error', (error) => {
              clearTimeout(timer);
              reject(error);
            });
          },
        );
        const timer = setTimeout(() => req.destroy(new TransportTimeoutError(timeoutMs)), timeoutMs);
        req.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        req.end(body);
      });
    },
  };
  return transport;
}
