import type { Env } from '../config/env';
import type { WorkDeps } from '../fanout/work';
import { buildOnce } from '../lambda/handler';
import { createFunctionLogger, type Logger } from '../observability/log';
import { buildScanParts, loggedScanHooks, type ScannerOverrides } from './scanner';
import { loadScanSettings } from './settings/scanner';

/** The queue worker's dependencies (functions/scan-worker.ts), from an environment: the scanner's, one project at a time. */
export function scanWorkerDepsFromEnv(
  env: Env = process.env,
  logger: Logger = createFunctionLogger('scan-worker'),
  overrides: ScannerOverrides = {},
): { logger: Logger; work: WorkDeps | Error } {
  const work = buildOnce((): WorkDeps => {
    const parts = buildScanParts(loadScanSettings(env), { ...loggedScanHooks(logger), ...overrides });
    return { scan: parts.work, covers: parts.catalog.covers, store: parts.store, now: overrides.now };
  }, logger);
  return { logger, work };
}
