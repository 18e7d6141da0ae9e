import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { buildOnce, deadlineOf } from '../lib/lambda/handler';
import { createLogger, describeError, type Logger } from '../lib/log';
import { buildScanner, type Scanner, type ScannerOverrides, summariseResult } from '../lib/scan/build';
import type { Env } from '../lib/settings/env';
import { loadScanSettings } from '../lib/settings/scanner';

export interface ScanSnapshotsDeps {
  scan: Scanner | Error;
  logger: Logger;
  now?: () => number;
}

/** The scheduled scan: one run to the Lambda's deadline, its outcome logged and returned. */
export function createScanSnapshotsHandler(deps: ScanSnapshotsDeps) {
  const { logger, scan } = deps;
  const now = deps.now ?? Date.now;

  async function scanSnapshots(_event: unknown, context: Context) {
    if (scan instanceof Error) throw scan;
    const result = await scan(deadlineOf(context, now()));
    const summary = summariseResult(result);
    for (const p of result.projects) {
      for (const f of p.delivery.failed) logger.error('event not delivered', { projectId: p.projectId, ...f });
    }
    // Failures are published as events and logged; throwing would only make Lambda re-run the
    // whole scan, sending every finding again.
    if (summary.ok) logger.info('scan finished', summary);
    else logger.error('scan finished with problems', summary);
    return summary;
  }

  return middy<unknown, ReturnType<typeof summariseResult>>().handler(scanSnapshots);
}

/** The production dependencies, from an environment. */
export function scanSnapshotsDepsFromEnv(env: Env = process.env, logger: Logger = createLogger({ function: 'scan-snapshots' }), overrides: ScannerOverrides = {}): ScanSnapshotsDeps {
  const onBug = (error: unknown, projectId: string) => logger.error('scan failed unexpectedly', { projectId, ...describeError(error, { stack: true }) });
  const scan = buildOnce(() => {
    const settings = loadScanSettings(env);
    if (!settings.findingsTable) logger.warn('FINDINGS_TABLE is not set: scanning without memory, every finding is reported on every run');
    return buildScanner(settings, { onBug, ...overrides });
  }, logger);
  return { logger, scan };
}

export const handler = createScanSnapshotsHandler(scanSnapshotsDepsFromEnv());
