import { createServer, type Server } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { lambdaContext, listenOnLoopback } from './loopback';

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<{ statusCode: number; headers?: Record<string, string>; body: string }>;

export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

const ROUTE = /^\/(v[23])\/([^/]*)\/snapshots(\/detail)?$|^\/$|^\/openapi\.json$/;

/**
 * A minimal HTTP API (payload 2.0) front for a handler on 127.0.0.1: builds the event the way
 * API Gateway does (raw path and query, lower-cased headers) so tests and benchmarks can drive
 * the handler over real HTTP without the serverless-offline process.
 */
export async function startHttpGateway(
  handler: Handler,
  options: { timeoutMs?: number; port?: number } = {},
): Promise<RunningGateway> {
  const server: Server = createServer(async (req, res) => {
    const [rawPath = '/', rawQueryString = ''] = (req.url ?? '/').split('?', 2);
    const match = req.method === 'GET' ? ROUTE.exec(rawPath) : null;
    if (!match) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"Not Found"}');
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    headers['x-forwarded-proto'] = 'http';
    const query: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(rawQueryString))
      query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
    const event = {
      version: '2.0',
      routeKey: match[2] === undefined ? `GET ${match[0]}` : `GET /${match[1]}/{project_id}/snapshots${match[3] ?? ''}`,
      rawPath,
      rawQueryString,
      headers,
      queryStringParameters: rawQueryString ? query : undefined,
      pathParameters: match[2] === undefined ? undefined : { project_id: decodeURIComponent(match[2]) },
      requestContext: {
        domainName: headers.host ?? '127.0.0.1',
        requestId: `local-${Date.now()}`,
        http: {
          method: 'GET',
          path: rawPath,
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        stage: '$default',
        timeEpoch: Date.now(),
      },
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    try {
      const result = await handler(event, lambdaContext(options.timeoutMs ?? 29_000, 'list-snapshots'));
      res.writeHead(result.statusCode, result.headers ?? {}).end(result.body);
    } catch {
      res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"message":"Internal Server Error"}');
    }
  });
  const bound = await listenOnLoopback(server, options.port);
  return { url: bound.url, close: bound.close };
}
