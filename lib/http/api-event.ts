import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

export type ApiEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

/** What an API needs from an API Gateway event, whichever payload version carried it. */
export interface ParsedApiEvent {
  /** The path as the API routes it: no stage prefix. */
  path: string;
  /** Where links back to the proxy start: the configured public URL or API Gateway's own domain. */
  base: string;
  projectId: string | undefined;
  params: Array<[string, string]>;
  /** The proxy's URL of this path (stage and version prefix kept), no query. */
  selfUrl: string;
  /** API Gateway's request id, for logs. */
  requestId: string | undefined;
  /** The caller's IAM identity (SigV4 on the route), for the access log. */
  caller: string | undefined;
}

function isV2(event: ApiEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === '2.0';
}

const HOST = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/;
const LOOPBACK = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3})(:\d+)?$/;

/**
 * The origin of links, never from the caller's headers (Host and X-Forwarded-* are whatever the
 * caller sent): API Gateway's own `requestContext.domainName`, https unless it is loopback
 * (local emulation). Without a usable domain, links are path-only.
 */
function originOf(domainName: string | undefined): string {
  if (!domainName || !HOST.test(domainName)) return '';
  return `${LOOPBACK.test(domainName) ? 'http' : 'https'}://${domainName}`;
}

/**
 * Reads an HTTP API (payload 2.0) or REST API (payload 1.0) event. `publicBaseUrl`, when set,
 * replaces the origin and stage of links (e.g. a custom domain).
 */
export function parseApiEvent(event: ApiEvent, publicBaseUrl?: string): ParsedApiEvent {
  if (isV2(event)) {
    const path = event.rawPath ?? '/';
    const stage = event.requestContext?.stage;
    // rawPath carries the stage unless it is $default; the route path does not.
    const routePath =
      stage && stage !== '$default' && path.startsWith(`/${stage}/`) ? path.slice(stage.length + 1) : path;
    const base = publicBaseUrl ?? originOf(event.requestContext?.domainName);
    return {
      path: routePath,
      base: publicBaseUrl ?? `${base}${path.slice(0, path.length - routePath.length)}`,
      projectId: event.pathParameters?.project_id,
      params: [...new URLSearchParams(event.rawQueryString ?? '')],
      selfUrl: publicBaseUrl ? `${publicBaseUrl}${routePath}` : `${base}${path}`,
      requestId: event.requestContext?.requestId,
      caller: (event.requestContext as { authorizer?: { iam?: { userArn?: string } } } | undefined)?.authorizer?.iam
        ?.userArn,
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
  const fullPath = event.requestContext?.path ?? event.path;
  const origin = originOf(event.requestContext?.domainName);
  const stagePrefix = fullPath.endsWith(event.path) ? fullPath.slice(0, fullPath.length - event.path.length) : '';
  return {
    path: event.path,
    base: publicBaseUrl ?? `${origin}${stagePrefix}`,
    projectId: event.pathParameters?.project_id ?? undefined,
    params,
    selfUrl: publicBaseUrl ? `${publicBaseUrl}${event.path}` : `${origin}${fullPath}`,
    requestId: event.requestContext?.requestId,
    caller: event.requestContext?.identity?.userArn ?? undefined,
  };
}
