import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { buildCleanup, type CleanupOverrides, type CleanupRun } from '../lib/wiring/cleanup';
import { buildOnce, deadlineOf } from '../lib/lambda/handler';
import { createFunctionLogger, type Logger } from '../lib/observability/log';
import { createMetrics } from '../lib/scan/metrics';
import { loadCleanupSettings } from '../lib/wiring/settings/cleanup';
import { type Env, flag } from '../lib/config/env';

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
    if (totals.braked > 0 || totals.failed > 0 || totals.errors > 0) logger.error('cleanup finished with problems', summary);
    else logger.info('cleanup finished', summary);
    return summary;
  }

  const middleware = middy<unknown, unknown>();
  if (logger.powertools) middleware.use(injectLambdaContext(logger.powertools, { resetKeys: true }));
  return middleware.use(logMetrics(metrics, { captureColdStartMetric: true })).handler(cleanupSnapshots);
}

/** The production dependencies, from an environment. */
export function cleanupSnapshotsDepsFromEnv(env: Env = process.env, logger: Logger = createFunctionLogger('cleanup-snapshots'), overrides: CleanupOverrides = {}): CleanupSnapshotsDeps {
  const built = buildOnce(() => {
    // Disabled: nothing is read or checked, so an undeployed cleanup needs no settings at all.
    if (!flag(env, 'CLEANUP_ENABLED', false)) return { cleanup: undefined };
    const settings = loadCleanupSettings(env);
    const onBrake = (projectId: string, limits: string[]) => logger.error('cleanup brake', { projectId, limits });
    return { cleanup: buildCleanup(settings, { onBrake, ...overrides }) };
  }, logger);
  return built instanceof Error ? { logger, cleanup: built } : { logger, ...built };
}

export const handler = createCleanupSnapshotsHandler(cleanupSnapshotsDepsFromEnv());
