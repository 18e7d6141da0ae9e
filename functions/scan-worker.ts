import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseWorkMessage } from '../lib/fanout/messages';
import { runWork, type WorkDeps } from '../lib/fanout/work';
import { deadlineOf, withLoggingAndMetrics } from '../lib/lambda/handler';
import { describeError, type Logger } from '../lib/observability/log';
import { createMetrics } from '../lib/observability/metrics';
import { recordScan } from '../lib/scan/metrics';
import { summariseResult } from '../lib/scan/summary';
import { scanWorkerDepsFromEnv } from '../lib/wiring/worker';

export interface ScanWorkerDeps {
  work: WorkDeps | Error;
  logger: Logger;
  metrics?: Metrics;
}

/**
 * The queue's worker: scans the project of each message. A scan that could not finish is
 * reported (Scan Failed, ProjectsIncomplete) and the message is done: the next cycle tries
 * again. Only what is not a known failure (a bug, a broken message) is handed back to SQS as a
 * batch item failure, to be retried and then kept in the dead-letter queue. The batch goes through
 * Powertools' FIFO processor: after a failure the rest of the batch is handed back unprocessed,
 * so a message group is never scanned out of order, whatever the batch size.
 */
export function createScanWorkerHandler(deps: ScanWorkerDeps) {
  const { logger } = deps;
  // The scan's metrics under the scanner's name: the alarms and the dashboard read them there.
  const metrics = deps.metrics ?? createMetrics('scan-snapshots');

  async function scanWorker(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    if (deps.work instanceof Error) throw deps.work;
    const work = deps.work;
    const failed: string[] = [];

    async function scanRecord(record: SQSRecord): Promise<void> {
      try {
        const message = parseWorkMessage(record.body);
        const started = Date.now();
        const outcome = await runWork(work, message, deadlineOf(context));
        if (outcome.kind === 'already-done') {
          logger.info('work item already done in this cycle; skipped', {
            cycleId: message.cycleId,
            target: message.target,
            projectId: message.projectId,
          });
          return;
        }
        recordScan(metrics, outcome.result, Date.now() - started);
        for (const f of outcome.project.delivery.failed)
          logger.error('event not delivered', {
            scanId: message.cycleId,
            target: message.target,
            projectId: message.projectId,
            ...f,
          });
        const summary = summariseResult(outcome.result);
        if (summary.ok) logger.info('scan finished', summary);
        else logger.error('scan finished with problems', summary);
      } catch (error) {
        failed.push(record.messageId);
        logger.error('work item failed; SQS will deliver it again', {
          messageId: record.messageId,
          ...describeError(error, { stack: true }),
        });
        throw error;
      }
    }

    // A fresh processor per invocation: it keeps the batch's state, and invocations may overlap in one process.
    // FIFO: after the first failure the rest of the batch is handed back unprocessed, so a message group keeps its order.
    // A batch that failed whole is answered like any other (every item named), not thrown: the invocation itself did not fail.
    const response = await processPartialResponse(event, scanRecord, new SqsFifoPartialProcessorAsync(), {
      context,
      throwOnFullBatchFailure: false,
    });
    const handedBack = response.batchItemFailures.map((f) => f.itemIdentifier).filter((id) => !failed.includes(id));
    if (handedBack.length > 0)
      logger.warn(
        'work items handed back unprocessed after an earlier failure in the batch; SQS will deliver them again',
        { messageIds: handedBack },
      );
    return response;
  }

  return withLoggingAndMetrics(scanWorker, logger, metrics, { captureColdStartMetric: true });
}

/** The production dependencies, from an environment (composed in lib/wiring/worker.ts). */
export { scanWorkerDepsFromEnv };

export const handler = createScanWorkerHandler(scanWorkerDepsFromEnv());
