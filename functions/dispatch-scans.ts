import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type DispatchDeps, type DispatchResult, dispatchCycle } from '../lib/fanout/dispatch';
import { buildOnce, deadlineOf } from '../lib/lambda/handler';
import { createFunctionLogger, describeError, type Logger } from '../lib/observability/log';
import { createMetrics } from '../lib/scan/metrics';
import { buildScanParts, type ScannerOverrides } from '../lib/wiring/scanner';
import type { Env } from '../lib/config/env';
import { loadDispatchSettings } from '../lib/wiring/settings/fanout';

export interface DispatchScansDeps {
  dispatch: DispatchDeps | Error;
  logger: Logger;
  metrics?: Metrics;
  now?: () => number;
}

/** The cycle id: the schedule's own time, the same when Lambda retries the invocation. */
function cycleIdOf(event: unknown, now: number): string {
  const time = (event as { time?: unknown } | undefined)?.time;
  return typeof time === 'string' && !Number.isNaN(Date.parse(time)) ? new Date(Date.parse(time)).toISOString() : new Date(now).toISOString();
}

/** The scheduled dispatcher: one work item per (target, project) on the queue, and the overdue check. */
export function createDispatchScansHandler(deps: DispatchScansDeps) {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? createMetrics('dispatch-scans');

  async function dispatchScans(event: unknown, context: Context): Promise<DispatchResult> {
    if (deps.dispatch instanceof Error) throw deps.dispatch;
    const result = await dispatchCycle(deps.dispatch, cycleIdOf(event, now()), deadlineOf(context));
    metrics.addMetric('WorkDispatched', MetricUnit.Count, result.dispatched);
    metrics.addMetric('WorkUndelivered', MetricUnit.Count, result.undelivered.length);
    metrics.addMetric('ProjectsOverdue', MetricUnit.Count, result.overdue.length);
    metrics.addMetric('DiscoveryFailures', MetricUnit.Count, result.discoveryFailures);
    for (const u of result.undelivered) logger.error('work item not queued; the project is not scanned this cycle', u);
    for (const o of result.overdue) logger.warn('project not scanned completely for two cycles', o);
    logger.info('cycle dispatched', { cycleId: result.cycleId, dispatched: result.dispatched, undelivered: result.undelivered.length, overdue: result.overdue.length, discoveryFailures: result.discoveryFailures });
    // Work SQS would not take is lost for this cycle unless the invocation is retried: fail it, so
    // Lambda retries (the same cycle id, so what was queued is deduplicated) and Errors alarms.
    if (result.undelivered.length > 0) throw new Error(`${result.undelivered.length} work items could not be queued`);
    return result;
  }

  const middleware = middy<unknown, DispatchResult>();
  if (logger.powertools) middleware.use(injectLambdaContext(logger.powertools, { resetKeys: true }));
  return middleware.use(logMetrics(metrics)).handler(dispatchScans);
}

/** The production dependencies, from an environment. */
export function dispatchScansDepsFromEnv(env: Env = process.env, logger: Logger = createFunctionLogger('dispatch-scans'), overrides: ScannerOverrides & { sqs?: SQSClient } = {}): DispatchScansDeps {
  const dispatch = buildOnce((): DispatchDeps => {
    const settings = loadDispatchSettings(env);
    const parts = buildScanParts(settings.scan, { onBug: (error, projectId) => logger.error('dispatch failed unexpectedly', { projectId, ...describeError(error, { stack: true }) }), ...overrides });
    return {
      catalog: parts.catalog,
      queue: { client: overrides.sqs ?? new SQSClient({ maxAttempts: 3 }), url: settings.queueUrl },
      createSink: parts.deps.createSink,
      reportDiscoveryFailures: parts.reportDiscoveryFailures,
      store: parts.deps.state?.store,
      source: settings.scan.eventSource,
      cycleMs: settings.cycleMs,
      remindAfterMs: settings.scan.remindAfterMs,
      now: overrides.now,
    };
  }, logger);
  return { logger, dispatch };
}

export const handler = createDispatchScansHandler(dispatchScansDepsFromEnv());
