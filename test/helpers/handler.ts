import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createListSnapshotsHandler, listSnapshotsDepsFromEnv } from '../../functions/list-snapshots';
import { createLogger, type Logger } from '../../lib/log';

export type ProxyHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode: number; headers?: Record<string, string>; body: string }>;

/** The real middy-wrapped proxy handler, built by its own factory from exactly this environment. */
export async function importProxyHandler(env: Record<string, string | undefined>, logger: Logger = createLogger({}, () => undefined, 'silent')): Promise<ProxyHandler> {
  return createListSnapshotsHandler(listSnapshotsDepsFromEnv(env, logger)) as unknown as ProxyHandler;
}
