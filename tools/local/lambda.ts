import { createServer } from 'node:http';
import type { Context } from 'aws-lambda';
import { lambdaContext, listenOnLoopback } from './loopback';

type Handler = (event: any, context: Context) => Promise<unknown>;

/**
 * A loopback endpoint speaking Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`,
 * RequestResponse) for handlers in this process: what serverless-offline's Lambda port is in
 * `npm start`, for tests that cannot wait for it. Counts invocations per function.
 */
export async function startLocalLambda(
  functions: Record<string, Handler>,
  options: { port?: number; timeoutMs?: number } = {},
) {
  const invocations = new Map<string, number>();
  const server = createServer((req, res) => {
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url ?? '');
    const handler = m ? functions[decodeURIComponent(m[1] as string)] : undefined;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (!m || !handler || req.method !== 'POST') {
        res
          .writeHead(404, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'ResourceNotFoundException' })
          .end(JSON.stringify({ Type: 'User', message: 'Function not found' }));
        return;
      }
      const name = decodeURIComponent(m[1] as string);
      invocations.set(name, (invocations.get(name) ?? 0) + 1);
      try {
        const result = await handler(
          JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'),
          lambdaContext(options.timeoutMs ?? 60_000, name),
        );
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(result ?? null));
      } catch (error) {
        // What Lambda answers for a function error: 200 with X-Amz-Function-Error.
        res
          .writeHead(200, { 'Content-Type': 'application/json', 'X-Amz-Function-Error': 'Unhandled' })
          .end(JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message }));
      }
    });
  });
  const bound = await listenOnLoopback(server, options.port);
  return {
    ...bound,
    invocations,
    invokeUrl: (name: string) => `${bound.url}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`,
  };
}

/**
 * Delivers events to a function through the Invoke API over HTTP (serverless-offline's port or
 * startLocalLambda): what the SQS event source does. A function error counts as every item failed.
 */
export function invokeOverHttp(url: string) {
  return async (event: unknown): Promise<{ batchItemFailures?: Array<{ itemIdentifier: string }> }> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(event),
    });
    const text = await response.text();
    if (!response.ok || response.headers.get('x-amz-function-error'))
      throw new Error(`invocation failed: HTTP ${response.status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) ?? {}) : {};
  };
}
