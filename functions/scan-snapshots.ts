import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadScanConfig } from '../lib/config';
import { createLogger, describeError } from '../lib/log';
import { buildScanner, summariseResult } from '../lib/scan/build';

const logger = createLogger({ function: 'scan-snapshots' });

// Configuration is validated once per container; a bad one fails every run loudly, not silently.
let scan: ReturnType<typeof buildScanner> | Error;
try {
  scan = buildScanner(loadScanConfig());
} catch (error) {
  logger.error('configuration is invalid', describeError(error));
  scan = error as Error;
}

async function scanSnapshots(_event: unknown, context: Context) {
  if (scan instanceof Error) throw scan;
  const deadline = Date.now() + context.getRemainingTimeInMillis() - 1_000;
  const result = await scan(deadline);
  const summary = summariseResult(result);
  for (const p of result.projects) {
    for (const f of p.delivery.failed.slice(0, 20)) logger.error('event not delivered', { projectId: p.projectId, ...f });
  }
  // Failures are published as events and logged; throwing would only make Lambda re-run the scan.
  if (summary.ok) logger.info('scan finished', summary);
  else logger.error('scan finished with problems', summary);
  return summary;
}

export const handler = middy().handler(scanSnapshots);
