import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

export type ApiEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

/** What the proxy needs from an API Gateway event, whichever payload version carried it. */
export interface ParsedApiEvent {
  /** `versions` for the root document, `list` for the snapshot collections. */
  route: 'list' | 'versions';
  /** Scheme and host the caller used, for links back to the proxy. */
  origin: string;
  projectId: string | undefined;
  params: Array<[string, string]>;
  selfUrl: string;
  detail: boolean;
}

function isV2(event: ApiEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === '2.0';
}

function headerOf(headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function origin(headers: Record<string, string | undefined> | null | undefined, domainName: string | undefined): string {
  const host = headerOf(headers, 'x-forwarded-host') ?? headerOf(headers, 'host') ?? domainName ?? 'localhost';
  const forwarded = headerOf(headers, 'x-forwarded-proto')?.split(',')[0]?.trim();
  // API Gateway always sets X-Forwarded-Proto; local emulation may not, and serves plain HTTP.
  const proto = forwarded ?? (/^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host) ? 'http' : 'https');
  return `${proto}://${host}`;
}

/** Reads an HTTP API (payload 2.0) or REST API (payload 1.0) event. */
export function parseApiEvent(event: ApiEvent): ParsedApiEvent {
  if (isV2(event)) {
    const path = event.rawPath;
    const base = origin(event.headers, event.requestContext?.domainName);
    return {
      route: event.pathParameters?.project_id === undefined && (path === '/' || path === '') ? 'versions' : 'list',
      origin: base,
      projectId: event.pathParameters?.project_id,
      params: [...new URLSearchParams(event.rawQueryString ?? '')],
      selfUrl: `${base}${path}`,
      detail: path.endsWith('/detail'),
    };
  }
  const params: Array<[string, string]> = [];
  if (event.multiValueQueryStringParameters) {
    for (const [key, values] of Object.entries(event.multiValueQueryStringParameters)) {
      for (const value of values ?? []) params.push([key, value]);
    }
  } else if (event.queryStringParameters) {
    for (const [key, value] of Object.entries(event.queryStringParameters)) params.push([key, value ?? '']);
  }
  // requestContext.path keeps the stage prefix (`/prod/v2/...`) that callers must use.
  const path = event.requestContext?.path ?? event.path;
  const base = origin(event.headers, event.requestContext?.domainName);
  return {
    route: event.pathParameters?.project_id === undefined && (event.path === '/' || event.path === '') ? 'versions' : 'list',
    origin: base,
    projectId: event.pathParameters?.project_id,
    params,
    selfUrl: `${base}${path}`,
    detail: event.path.endsWith('/detail'),
  };
}
