import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { deadlineOf, withLoggingAndMetrics } from '../lib/lambda/handler';
import type { Logger } from '../lib/observability/log';
import { createMetrics } from '../lib/observability/metrics';
import { type CleanupRun, cleanupSnapshotsDepsFromEnv } from '../lib/wiring/cleanup';

export interface CleanupSnapshotsDeps {
  /** Undefined when CLEANUP_ENABLED is not true: the function then does nothing at all. */
  cleanup: ((deadline: number) => Promise<CleanupRun>) | undefined | Error;
  logger: Logger;
  metrics?: Metrics;
  now?: () => number;
}

/** The metric the cleanup brake alarm watches (CleanupBrakeAlarm in resources/cleanup.yml). */
export const BRAKE_METRIC = 'CleanupBrakeTripped';

/**
 * The remediation function: the only one whose credentials may delete snapshots. Scheduled after
 * the scans, it marks new findings of cleanup rules and deletes those due (docs/cleanup.md).
 */
export function createCleanupSnapshotsHandler(deps: CleanupSnapshotsDeps) {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? createMetrics('cleanup-snapshots');

  async function cleanupSnapshots(_event: unknown, context: Context) {
    if (deps.cleanup instanceof Error) throw deps.cleanup;
    if (!deps.cleanup) {
      logger.info('cleanup is disabled in this deployment (CLEANUP_ENABLED is not true)');
      return { enabled: false };
    }
    const run = await deps.cleanup(deadlineOf(context, now()));
    const totals = { marked: 0, deleted: 0, refused: 0, failed: 0, braked: 0, errors: 0 };
    for (const p of run.projects) {
      totals.marked += p.marked;
      totals.deleted += p.deleted;
      totals.refused += p.refused;
      totals.failed += p.failed;
      if (p.braked) totals.braked++;
      if (p.error) {
        totals.errors++;
        logger.error('cleanup of a project stopped', { target: p.target, projectId: p.projectId, error: p.error });
      }
    }
    metrics.addMetric('SnapshotsMarked', MetricUnit.Count, totals.marked);
    metrics.addMetric('SnapshotsDeleted', MetricUnit.Count, totals.deleted);
    metrics.addMetric('DeletionsRefused', MetricUnit.Count, totals.refused);
    metrics.addMetric('DeletionsFailed', MetricUnit.Count, totals.failed);
    metrics.addMetric(BRAKE_METRIC, MetricUnit.Count, totals.braked);
    const summary = { enabled: true, runId: run.runId, deletionsAllowed: run.deletionsAllowed, ...totals };
    if (totals.braked > 0 || totals.failed > 0 || totals.errors > 0)
      logger.error('cleanup finished with problems', summary);
    else logger.info('cleanup finished', summary);
    return summary;
  }

  return withLoggingAndMetrics(cleanupSnapshots, logger, metrics, { captureColdStartMetric: true });
}

/** The production dependencies, from an environment (composed in lib/wiring/cleanup.ts). */
export { cleanupSnapshotsDepsFromEnv };

export const handler = createCleanupSnapshotsHandler(cleanupSnapshotsDepsFromEnv());
