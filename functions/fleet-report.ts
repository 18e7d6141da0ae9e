import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { createCleanupStore } from '../lib/cleanup/dynamo-store';
import type { Env } from '../lib/config/env';
import { buildOnce, deadlineOf, withLoggingAndMetrics } from '../lib/lambda/handler';
import { createFunctionLogger, type Logger } from '../lib/observability/log';
import { createMetrics } from '../lib/observability/metrics';
import type { PriceList } from '../lib/pricing/prices';
import { chartJsSource } from '../lib/report/chart-source';
import { lazyS3ReportStore } from '../lib/report/lazy-s3-store';
import { publishFleetReport } from '../lib/report/publish';
import { type RemovalReader, removalsFromTrail } from '../lib/report/removed';
import type { ReportStore } from '../lib/report/store';
import { loadReportSettings } from '../lib/wiring/settings/report';

export interface FleetReportDeps {
  store: ReportStore | Error;
  /** PRICES_FILE's prices; without them the report shows no money. */
  prices?: PriceList;
  /** The cleanup's deletions (FINDINGS_TABLE); without it the report shows no removals. */
  removals?: RemovalReader;
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
  /** At the configured prices, an upper bound (priced from size). */
  money?: { currency: string; perMonth: number; flaggedPerMonth: number };
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
    const { report, written, invalid, trendRestarted } = await publishFleetReport(deps.store, {
      now: new Date(now()),
      deadline: deadlineOf(context, now()),
      chartJs: chartJs(),
      prices: deps.prices,
      removals: deps.removals,
    });
    for (const key of invalid) logger.error('report part is not a project report; left out', { key });
    if (report.removed?.unreadable)
      logger.error('cleanup audit items recording a deletion could not be read; left out of the removed figures', {
        unreadable: report.removed.unreadable,
      });
    if (trendRestarted) logger.error('history/trend.json could not be read; the trend starts again from this report');
    metrics.addMetric('ReportProjects', MetricUnit.Count, report.totals.projects);
    metrics.addMetric('ReportPartsInvalid', MetricUnit.Count, invalid.length);
    metrics.addMetric('SnapshotGigabytes', MetricUnit.Gigabytes, report.totals.gb);
    metrics.addMetric(
      'FlaggedGigabytes',
      MetricUnit.Gigabytes,
      Object.values(report.totals.byFindingType).reduce((n, v) => n + v.gb, 0),
    );
    const result: FleetReportResult = {
      generatedAt: report.generatedAt,
      projects: report.totals.projects,
      snapshots: report.totals.snapshots,
      gb: report.totals.gb,
      files: written,
      invalidParts: invalid.length,
    };
    if (report.money)
      result.money = {
        currency: report.money.currency,
        perMonth: report.money.perMonth,
        flaggedPerMonth: report.money.flaggedPerMonth,
      };
    logger.info('fleet report written', { ...result });
    return result;
  }

  return withLoggingAndMetrics(fleetReport, logger, metrics);
}

/** The production dependencies, from an environment. */
export function fleetReportDepsFromEnv(
  env: Env = process.env,
  logger: Logger = createFunctionLogger('fleet-report'),
): FleetReportDeps {
  const built = buildOnce(() => {
    const settings = loadReportSettings(env);
    return {
      store: lazyS3ReportStore(settings),
      prices: settings.prices,
      ...(settings.findingsTable
        ? { removals: removalsFromTrail(createCleanupStore({ tableName: settings.findingsTable })) }
        : {}),
    };
  }, logger);
  return built instanceof Error ? { logger, store: built } : { logger, ...built };
}

export const handler = createFleetReportHandler(fleetReportDepsFromEnv());
