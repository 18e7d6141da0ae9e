import type { Metrics } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { buildOnce, deadlineOf } from '../lib/lambda/handler';
import { createFunctionLogger, describeError, type Logger } from '../lib/observability/log';
import { createMetrics, recordScan } from '../lib/scan/metrics';
import { buildScanner, type Scanner, type ScannerOverrides, summariseResult } from '../lib/wiring/scanner';
import { createPrintingSink } from '../lib/scan/dry-run';
import { createTargetCatalog } from '../lib/scan/plan';
import { readScanRequest, ScanRequestError } from '../lib/scan/request';
import type { Env } from '../lib/config/env';
import { loadScanSettings } from '../lib/wiring/settings/scanner';

export interface ScanSnapshotsDeps {
  scan: Scanner | Error;
  /** The same scanner, reading the table but writing and publishing nothing (`"dryRun": true`). */
  dryRunScan?: Scanner;
  logger: Logger;
  metrics?: Metrics;
  now?: () => number;
}

/**
 * The one-invocation scan: scheduled (every target and project) or invoked on demand with
 * `{"targets": [...], "projects": [...], "dryRun": true}` (lib/scan/request.schema.json); one
 * run to the Lambda's deadline, its outcome logged and returned.
 */
export function createScanSnapshotsHandler(deps: ScanSnapshotsDeps) {
  const { logger, scan } = deps;

  const metrics = deps.metrics ?? createMetrics('scan-snapshots');

  async function scanSnapshots(event: unknown, context: Context) {
    if (scan instanceof Error) throw scan;
    const request = readScanRequest(event);
    const run = request.dryRun ? deps.dryRunScan : scan;
    if (!run) throw new ScanRequestError('scan request: dryRun is not available in this deployment');
    const started = Date.now();
    const result = await run(deadlineOf(context), request);
    if (request.dryRun) {
      const summary = { ...summariseResult(result), dryRun: true };
      logger.info('dry run finished', summary);
      return summary;
    }
    recordScan(metrics, result, Date.now() - started);
    const summary = summariseResult(result);
    for (const p of result.projects) {
      for (const f of p.delivery.failed) logger.error('event not delivered', { scanId: result.scanId, projectId: p.projectId, ...f });
    }
    // A project that could not be scanned is published (Scan Failed), logged, and counted in
    // ProjectsIncomplete, which an alarm watches. The invocation does not fail for it: Lambda
    // would retry the whole asynchronous invocation twice, re-listing every project (the healthy
    // ones too) against an upstream that is likely still failing, and the next scheduled run
    // retries the failed project anyway. Only a broken configuration throws, so Lambda's own
    // Errors metric and alarm catch it.
    if (summary.ok) logger.info('scan finished', summary);
    else logger.error('scan finished with problems', summary);
    return summary;
  }

  const middleware = middy<unknown, ReturnType<typeof summariseResult>>();
  if (logger.powertools) middleware.use(injectLambdaContext(logger.powertools, { resetKeys: true }));
  return middleware.use(logMetrics(metrics, { captureColdStartMetric: true })).handler(scanSnapshots);
}

/** The production dependencies, from an environment. */
export function scanSnapshotsDepsFromEnv(env: Env = process.env, logger: Logger = createFunctionLogger('scan-snapshots'), overrides: ScannerOverrides = {}): ScanSnapshotsDeps {
  const onBug = (error: unknown, projectId: string) => logger.error('scan failed unexpectedly', { projectId, ...describeError(error, { stack: true }) });
  const onReportError = (error: unknown, p: { target: string; projectId: string }) => logger.error('report part not written', { target: p.target, projectId: p.projectId, ...describeError(error) });
  const built = buildOnce(() => {
    const settings = loadScanSettings(env);
    if (!settings.findingsTable) logger.warn('FINDINGS_TABLE is not set: scanning without memory, every finding is reported on every run');
    const catalog = overrides.catalog ?? createTargetCatalog(settings.targets, { fetch: overrides.fetch, fetchSecret: overrides.fetchSecret, fetchParameter: overrides.fetchSecret });
    return {
      scan: buildScanner(settings, { onBug, onReportError, ...overrides, catalog }),
      // Published events go nowhere; the summary says what the run found.
      dryRunScan: buildScanner(settings, { onBug, ...overrides, catalog, dryRun: true, createSink: () => createPrintingSink(() => undefined) }),
    };
  }, logger);
  return built instanceof Error ? { logger, scan: built } : { logger, ...built };
}

export const handler = createScanSnapshotsHandler(scanSnapshotsDepsFromEnv());
