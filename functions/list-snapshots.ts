import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { buildOnce, deadlineOf } from '../lib/lambda/handler';
import { createLogger, describeError, type Logger } from '../lib/log';
import { createMetrics, recordRequest } from '../lib/observability/metrics';
import { createUpstreamClient } from '../lib/evs/factory';
import { type ApiEvent, parseApiEvent } from '../lib/proxy/api-event';
import { errorResponse, type HttpResponse, jsonResponse, listResponse, toProxyError } from '../lib/proxy/http';
import { listSnapshotsForCaller, type ProxyDeps } from '../lib/proxy/list-snapshots';
import { openApiDocument } from '../lib/proxy/openapi';
import { versionsDocument } from '../lib/proxy/versions';
import type { Env } from '../lib/settings/env';
import { loadProxySettings } from '../lib/settings/proxy';

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
  const countRequest = {
    before: async () => {
      upstreamMs = undefined;
    },
    after: async (request: { response: HttpResponse | undefined }) => recordRequest(metrics, request.response?.statusCode ?? 500, upstreamMs),
  };

  async function listSnapshots(event: ApiEvent, context: Context): Promise<HttpResponse> {
    const request = parseApiEvent(event, publicBaseUrl);
    if (request.route === 'versions') return jsonResponse(versionsDocument(request.base), 300);
    if (request.route === 'openapi') return jsonResponse(openApiDocument(request.base));
    if (proxy instanceof Error) throw proxy;
    return listResponse(await listSnapshotsForCaller(proxy, { ...request, deadline: deadlineOf(context, now()) }));
  }

  const mapErrors = {
    onError: async (request: { error: unknown; response: unknown }) => {
      const mapped = toProxyError(request.error);
      const fields = { status: mapped.status, code: mapped.code, cause: describeError(mapped.cause ?? mapped, { stack: mapped.code === 'INTERNAL_ERROR' }) };
      if (mapped.status >= 500) logger.error('request failed', fields);
      else logger.info('request refused', fields);
      request.response = errorResponse(mapped);
      recordRequest(metrics, mapped.status, upstreamMs);
    },
  };

  // logMetrics publishes once per request, after the error mapping has set the answer.
  return middy<ApiEvent, HttpResponse>().use(logMetrics(metrics)).use(countRequest).use(mapErrors).handler(listSnapshots);
}

/** The production dependencies, from an environment. */
export function listSnapshotsDepsFromEnv(env: Env = process.env, logger: Logger = createLogger({ function: 'list-snapshots' })): ListSnapshotsDeps {
  const proxy = buildOnce(() => {
    const settings = loadProxySettings(env);
    return { lister: createUpstreamClient(settings.upstream), allowedProjects: settings.allowedProjects, publicBaseUrl: settings.publicBaseUrl };
  }, logger);
  return { logger, proxy };
}

export const handler = createListSnapshotsHandler(listSnapshotsDepsFromEnv());
