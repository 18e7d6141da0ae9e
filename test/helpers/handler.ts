import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createFindingsHandler, type FindingsHandlerDeps } from '../../functions/findings';
import {
  createListSnapshotsHandler,
  type ListSnapshotsDeps,
  listSnapshotsDepsFromEnv,
} from '../../functions/list-snapshots';
import { createLogger, type Logger } from '../../lib/observability/log';
import type { AuthIo } from '../../lib/upstream/factory';
import { openApiErrors } from './openapi';

export type ProxyHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<{ statusCode: number; headers?: Record<string, string>; body: string }>;

/**
 * The real middy-wrapped proxy handler from its own factory. Every answer it gives a test is
 * checked against the OpenAPI document first: a test cannot see a response the document does
 * not describe.
 */
export function checkedProxyHandler(deps: ListSnapshotsDeps): ProxyHandler {
  const handler = createListSnapshotsHandler(deps) as unknown as ProxyHandler;
  return async (event, context) => {
    const result = await handler(event, context);
    const path = (event as { rawPath?: string; path?: string }).rawPath ?? (event as { path?: string }).path ?? '/';
    const errors = openApiErrors(path, result);
    if (errors.length > 0)
      throw new Error(
        `answer to ${path} does not match openapi.json: ${errors.join('; ')}\n${result.body.slice(0, 500)}`,
      );
    return result;
  };
}

/** The real middy-wrapped findings handler, every answer checked against the OpenAPI document. */
export function checkedFindingsHandler(deps: FindingsHandlerDeps): ProxyHandler {
  const handler = createFindingsHandler(deps) as unknown as ProxyHandler;
  return async (event, context) => {
    const result = await handler(event, context);
    const errors = openApiErrors(event.rawPath, result, event.requestContext?.http?.method ?? 'GET');
    if (errors.length > 0)
      throw new Error(
        `answer to ${event.requestContext?.http?.method} ${event.rawPath} does not match openapi.json: ${errors.join('; ')}\n${result.body.slice(0, 500)}`,
      );
    return result;
  };
}

/** The checked handler, configured by exactly this environment. */
export async function importProxyHandler(
  env: Record<string, string | undefined>,
  logger: Logger = createLogger({}, () => undefined, 'silent'),
  io: AuthIo = {},
): Promise<ProxyHandler> {
  return checkedProxyHandler(listSnapshotsDepsFromEnv(env, logger, io));
}
