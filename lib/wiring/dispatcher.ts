import { SQSClient } from '@aws-sdk/client-sqs';
import type { Env } from '../config/env';
import type { DispatchDeps, QueueSender } from '../fanout/dispatch';
import { buildOnce } from '../lambda/handler';
import { createFunctionLogger, type Logger } from '../observability/log';
import { catalogFor } from './catalog';
import { createSinkFactory } from './event-bus';
import { findingsStoreOf, type ScannerOverrides } from './scanner';
import { loadDispatchSettings } from './settings/fanout';

export type DispatcherOverrides = Pick<
  ScannerOverrides,
  'eventBridge' | 'createSink' | 'fetch' | 'fetchSecret' | 'store' | 'catalog' | 'now'
> & { sqs?: QueueSender };

/**
 * The dispatcher's dependencies (functions/dispatch-scans.ts), from an environment: the targets
 * (to plan and discover), the queue, the bus (for Scan Failed) and the findings table (for the
 * overdue check). It scans nothing, so it builds no report store, link or scan state.
 */
export function dispatchScansDepsFromEnv(
  env: Env = process.env,
  logger: Logger = createFunctionLogger('dispatch-scans'),
  overrides: DispatcherOverrides = {},
): { logger: Logger; dispatch: DispatchDeps | Error } {
  const dispatch = buildOnce((): DispatchDeps => {
    const settings = loadDispatchSettings(env);
    const scan = settings.scan;
    return {
      catalog: catalogFor(scan.targets, overrides),
      queue: { client: overrides.sqs ?? new SQSClient({ maxAttempts: 3 }), url: settings.queueUrl },
      createSink: createSinkFactory(scan, overrides),
      store: findingsStoreOf(scan, overrides),
      source: scan.eventSource,
      cycleMs: settings.cycleMs,
      remindAfterMs: scan.remindAfterMs,
      now: overrides.now,
    };
  }, logger);
  return { logger, dispatch };
}
