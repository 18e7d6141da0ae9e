import type { ParsedApiEvent } from '../http/api-event';

export type Route = 'list' | 'versions' | 'openapi';

/**
 * Which of the proxy's answers a request asks for, and whether it is `/snapshots/detail`. API
 * Gateway routes only the documented paths here; anything else is treated as a list request and
 * fails its validation.
 */
export function proxyRouteOf(request: Pick<ParsedApiEvent, 'path' | 'projectId'>): { route: Route; detail: boolean } {
  const detail = /\/detail\/?$/.test(request.path);
  if (request.projectId !== undefined) return { route: 'list', detail };
  if (request.path === '/' || request.path === '') return { route: 'versions', detail };
  return { route: request.path === '/openapi.json' ? 'openapi' : 'list', detail };
}
