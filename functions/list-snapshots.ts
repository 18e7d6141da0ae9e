import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Env } from '../lib/config/env';
import { type ApiEvent, parseApiEvent } from '../lib/http/api-event';
import { httpErrorHandler } from '../lib/http/error-handler';
import { type HttpResponse, jsonResponse } from '../lib/http/response';
import { buildOnce, deadlineOf } from '../lib/lambda/handler';
import { createFunctionLogger, type Logger } from '../lib/observability/log';
import { createMetrics, recordRequest } from '../lib/observability/metrics';
import { listResponse } from '../lib/proxy/list-response';
import { listSnapshotsForCaller, type ProxyDeps } from '../lib/proxy/list-snapshots';
import { openApiDocument } from '../lib/proxy/openapi';
import { proxyRouteOf } from '../lib/proxy/route';
import { versionsDocument } from '../lib/proxy/versions';
import { type AuthIo, createUpstreamClient } from '../lib/upstream/factory';
import { loadProxySettings } from '../lib/wiring/settings/proxy';

export interface ListSnapshotsDeps {
  /** The use case's dependencies, or the configuration error every request answers with. */
  proxy: (ProxyDeps & { publicBaseUrl?: string | undefined }) | Error;
  logger: Logger;
  metrics?: Metrics;
  now?: () => number;
}

/** The proxy's handler: routes, lists one page for the caller, and maps every error in one place (onError). */
export function createListSnapshotsHandler(deps: ListSnapshotsDeps) {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? createMetrics('list-snapshots');
  // Lambda runs one request at a time per container, so the last upstream time is this request's.
  let upstreamMs: number | undefined;
  const proxy: ListSnapshotsDeps['proxy'] =
    deps.proxy instanceof Error
      ? deps.proxy
      : {
          ...deps.proxy,
          lister: {
            async fetchSnapshotsText(projectId, query, options) {
              const started = performance.now();
              try {
                return await (deps.proxy as ProxyDeps).lister.fetchSnapshotsText(projectId, query, options);
              } finally {
                upstreamMs = performance.now() - started;
              }
            },
          },
        };
  const publicBaseUrl = proxy instanceof Error ? undefined : proxy.publicBaseUrl;
  const readRequest = (event: ApiEvent) => {
    const parsed = parseApiEvent(event, publicBaseUrl);
    return { ...parsed, ...proxyRouteOf(parsed) };
  };
  let current: ReturnType<typeof readRequest> | undefined;
  /** One access line and one metric per request: who listed which project with which filters, and how it went. */
  const account = (status: number, code?: string) => {
    recordRequest(metrics, status, upstreamMs);
    logger.info('access', {
      apiRequestId: current?.requestId,
      caller: current?.caller,
      projectId: current?.projectId,
      route: current?.route,
      params: current
        ? Object.fromEntries(current.params.map(([k, v]) => [k.slice(0, 64), v.slice(0, 256)]))
        : undefined,
      status,
      ...(code ? { code } : {}),
      ...(upstreamMs === undefined ? {} : { upstreamMs: Math.round(upstreamMs * 10) / 10 }),
    });
  };
  const countRequest = {
    before: async (request: { event: ApiEvent }) => {
      upstreamMs = undefined;
      current = readRequest(request.event);
    },
    after: async (request: { response: HttpResponse | undefined }) => account(request.response?.statusCode ?? 500),
  };

  async function listSnapshots(event: ApiEvent, context: Context): Promise<HttpResponse> {
    // Parsed once per request, by countRequest, which the access line needs even on errors.
    const request = current ?? readRequest(event);
    if (request.route === 'versions') return jsonResponse(versionsDocument(request.base), 300);
    if (request.route === 'openapi') return jsonResponse(openApiDocument(request.base));
    if (proxy instanceof Error) throw proxy;
    return listResponse(await listSnapshotsForCaller(proxy, { ...request, deadline: deadlineOf(context, now()) }));
  }

  const mapErrors = httpErrorHandler({ logger, onAnswer: (mapped) => account(mapped.statusCode, mapped.code) });

  // logMetrics publishes once per request, after the error mapping has set the answer.
  const middleware = middy<ApiEvent, HttpResponse>();
  if (logger.powertools) middleware.use(injectLambdaContext(logger.powertools, { resetKeys: true }));
  return middleware.use(logMetrics(metrics)).use(countRequest).use(mapErrors).handler(listSnapshots);
}

/** The production dependencies, from an environment. */
export function listSnapshotsDepsFromEnv(
  env: Env = process.env,
  logger: Logger = createFunctionLogger('list-snapshots'),
  io: AuthIo = {},
): ListSnapshotsDeps {
  const proxy = buildOnce(() => {
    const settings = loadProxySettings(env);
    return {
      lister: createUpstreamClient(settings.upstream, io),
      allowedProjects: settings.allowedProjects,
      publicBaseUrl: settings.publicBaseUrl,
    };
  }, logger);
  return { logger, proxy };
}

export const handler = createListSnapshotsHandler(listSnapshotsDepsFromEnv());
