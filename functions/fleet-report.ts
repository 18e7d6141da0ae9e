import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { buildOnce, deadlineOf } from '../lib/lambda/handler';
import { createFunctionLogger, type Logger } from '../lib/log';
import { createMetrics } from '../lib/observability/metrics';
import { chartJsSource } from '../lib/report/chart-source';
import { publishFleetReport } from '../lib/report/publish';
import { lazyS3ReportStore, type ReportStore } from '../lib/report/store';
import type { Env } from '../lib/settings/env';
import { loadReportSettings } from '../lib/settings/report';

export interface FleetReportDeps {
  store: ReportStore | Error;
  logger: Logger;
  metrics?: Metrics;
  now?: () => number;
  chartJs?: () => string;
}

export interface FleetReportResult {
  generatedAt: string;
  projects: number;
  snapshots: number;
  gb: number;
  files: string[];
  invalidParts: number;
}

/**
 * On the schedule: the fleet report from the parts the workers wrote (each project's last
 * complete scan), as JSON, CSV, HTML and OpenMetrics in the report bucket. A failure throws, so
 * Lambda's Errors metric (and the alarm on it) says the report is not being written.
 */
export function createFleetReportHandler(deps: FleetReportDeps) {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? createMetrics('fleet-report');
  const chartJs = deps.chartJs ?? chartJsSource;

  async function fleetReport(_event: unknown, context: Context): Promise<FleetReportResult> {
    if (deps.store instanceof Error) throw deps.store;
    const { report, written, invalid } = await publishFleetReport(deps.store, { now: new Date(now()), deadline: deadlineOf(context, now()), chartJs: chartJs() });
    for (const key of invalid) logger.error('report part is not a project report; left out', { key });
    metrics.addMetric('ReportProjects', MetricUnit.Count, report.totals.projects);
    metrics.addMetric('ReportPartsInvalid', MetricUnit.Count, invalid.length);
    metrics.addMetric('SnapshotGigabytes', MetricUnit.Gigabytes, report.totals.gb);
    metrics.addMetric('FlaggedGigabytes', MetricUnit.Gigabytes, Object.values(report.totals.byFindingType).reduce((n, v) => n + v.gb, 0));
    const result = { generatedAt: report.generatedAt, projects: report.totals.projects, snapshots: report.totals.snapshots, gb: report.totals.gb, files: written, invalidParts: invalid.length };
    logger.info('fleet report written', result);
    return result;
  }

  const middleware = middy<unknown, FleetReportResult>();
  if (logger.powertools) middleware.use(injectLambdaContext(logger.powertools, { resetKeys: true }));
  return middleware.use(logMetrics(metrics)).handler(fleetReport);
}

/** The production dependencies, from an environment. */
export function fleetReportDepsFromEnv(env: Env = process.env, logger: Logger = createFunctionLogger('fleet-report')): FleetReportDeps {
  return { logger, store: buildOnce(() => lazyS3ReportStore(loadReportSettings(env)), logger) };
}

export const handler = createFleetReportHandler(fleetReportDepsFromEnv());
