import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { type DispatchDeps, type DispatchResult, dispatchCycle } from '../lib/fanout/dispatch';
import { deadlineOf, withLoggingAndMetrics } from '../lib/lambda/handler';
import type { Logger } from '../lib/observability/log';
import { createMetrics } from '../lib/observability/metrics';
import { dispatchScansDepsFromEnv } from '../lib/wiring/dispatcher';

export interface DispatchScansDeps {
  dispatch: DispatchDeps | Error;
  logger: Logger;
  metrics?: Metrics;
  now?: () => number;
}

/** The cycle id: the schedule's own time, the same when Lambda retries the invocation. */
function cycleIdOf(event: unknown, now: number): string {
  const time = (event as { time?: unknown } | undefined)?.time;
  return typeof time === 'string' && !Number.isNaN(Date.parse(time))
    ? new Date(Date.parse(time)).toISOString()
    : new Date(now).toISOString();
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
    logger.info('cycle dispatched', {
      cycleId: result.cycleId,
      dispatched: result.dispatched,
      undelivered: result.undelivered.length,
      overdue: result.overdue.length,
      discoveryFailures: result.discoveryFailures,
    });
    // Work SQS would not take is lost for this cycle unless the invocation is retried: fail it, so
    // Lambda retries (the same cycle id, so what was queued is deduplicated) and Errors alarms.
    if (result.undelivered.length > 0) throw new Error(`${result.undelivered.length} work items could not be queued`);
    return result;
  }

  return withLoggingAndMetrics(dispatchScans, logger, metrics);
}

/** The production dependencies, from an environment (composed in lib/wiring/dispatcher.ts). */
export { dispatchScansDepsFromEnv };

export const handler = createDispatchScansHandler(dispatchScansDepsFromEnv());
