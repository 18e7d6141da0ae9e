import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadProxyConfig } from '../lib/config';
import { createListerFromConfig } from '../lib/evs/factory';
import { createLogger, describeError } from '../lib/log';
import { type ApiEvent, parseApiEvent } from '../lib/proxy/api-event';
import { errorResponse, type HttpResponse, jsonResponse, listResponse, toProxyError } from '../lib/proxy/http';
import { listSnapshotsForCaller, type ProxyDeps } from '../lib/proxy/list-snapshots';
import { versionsDocument } from '../lib/proxy/versions';

const logger = createLogger({ function: 'list-snapshots' });

// Built once per container. A bad configuration is kept and answered as a clean 500, not a crash loop.
function buildDeps(): ProxyDeps | Error {
  try {
    const config = loadProxyConfig();
    return { lister: createListerFromConfig(config.upstream), allowedProjects: config.allowedProjects };
  } catch (error) {
    logger.error('configuration is invalid', describeError(error));
    return error as Error;
  }
}
const deps = buildDeps();

// Leave time to answer before Lambda stops the invocation.
const RESPONSE_MARGIN_MS = 500;

async function listSnapshots(event: ApiEvent, context: Context): Promise<HttpResponse> {
  const request = parseApiEvent(event);
  if (request.route === 'versions') return jsonResponse(versionsDocument(request.origin), 300);
  if (deps instanceof Error) throw deps;
  const deadline = Date.now() + Math.max(1, context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS);
  return listResponse(await listSnapshotsForCaller(deps, { ...request, deadline }));
}

/** middy's onError as the single place errors become responses. */
const mapErrors = {
  onError: async (request: { error: unknown; response: unknown; context: Context }) => {
    const mapped = toProxyError(request.error);
    const fields = { status: mapped.status, code: mapped.code, cause: describeError(mapped.cause ?? mapped) };
    if (mapped.status >= 500) logger.error('request failed', fields);
    else logger.info('request refused', fields);
    request.response = errorResponse(mapped);
  },
};

export const handler = middy<ApiEvent, HttpResponse>().use(mapErrors).handler(listSnapshots);
