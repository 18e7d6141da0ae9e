import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { deadlineOf, withLoggingAndMetrics } from '../lib/lambda/handler';
import type { Logger } from '../lib/observability/log';
import { createMetrics } from '../lib/observability/metrics';
import { recordScan } from '../lib/scan/metrics';
import { readScanRequest, ScanRequestError } from '../lib/scan/request';
import { summariseResult } from '../lib/scan/summary';
import { type Scanner, scanSnapshotsDepsFromEnv } from '../lib/wiring/scanner';

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
      for (const f of p.delivery.failed)
        logger.error('event not delivered', { scanId: result.scanId, projectId: p.projectId, ...f });
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

  return withLoggingAndMetrics(scanSnapshots, logger, metrics, { captureColdStartMetric: true });
}

/** The production dependencies, from an environment (composed in lib/wiring/scanner.ts). */
export { scanSnapshotsDepsFromEnv };

export const handler = createScanSnapshotsHandler(scanSnapshotsDepsFromEnv());
