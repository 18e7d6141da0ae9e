import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { buildOnce, deadlineOf } from '../lib/lambda/handler';
import { createDynamoNotificationStore } from '../lib/notify/dynamo-store';
import { createNotifier, type DeadLetter, type NotifierDeps, type ScannerEvent } from '../lib/notify/notifier';
import { digestLines } from '../lib/notify/print';
import { render } from '../lib/notify/render/index';
import { createSender, type PublishToTopic } from '../lib/notify/send';
import { createFunctionLogger, describeError, type Logger } from '../lib/observability/log';
import { createMetrics } from '../lib/observability/metrics';
import { createReportLink } from '../lib/report/link';
import { createSecretFetch } from '../lib/secrets/reader';
import { loadNotifierSettings, type NotifierSettings } from '../lib/wiring/settings/notifier';

/** SQS records of scanner events (the EventBridge rule's queue), or the schedule that closes digest windows. */
export type NotifierEvent = SQSEvent | { source?: string; 'detail-type'?: string };

export interface NotifierHandlerDeps {
  build: () => NotifierDeps;
  logger: Logger;
}

/** The notifier as Lambda runs it: records what an SQS batch brings, then delivers what is due. */
export function createNotifierHandler(deps: NotifierHandlerDeps) {
  const { logger } = deps;
  const built = buildOnce(deps.build, logger);
  const notifier = built instanceof Error ? built : createNotifier(built);

  async function handle(
    event: NotifierEvent,
    context: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<SQSBatchResponse | { digests: number; sent: number; deferred: number; failed: number }> {
    if (notifier instanceof Error || built instanceof Error) throw notifier;
    const deadline = deadlineOf(context, built.now());
    const failures: Array<{ itemIdentifier: string }> = [];
    if ('Records' in event && Array.isArray(event.Records)) {
      for (const record of event.Records) {
        try {
          await notifier.ingest([JSON.parse(record.body) as ScannerEvent]);
        } catch (error) {
          // The message comes back after its visibility timeout; the notices already recorded are not recorded twice.
          logger.error('could not record a scanner event; SQS delivers it again', {
            messageId: record.messageId,
            ...describeError(error),
          });
          failures.push({ itemIdentifier: record.messageId });
        }
      }
    }
    try {
      const result = await notifier.flush(deadline);
      if ('Records' in event) return { batchItemFailures: failures };
      return result;
    } catch (error) {
      // What was recorded stays; the next run delivers it.
      logger.error('could not deliver due notifications; the next run tries again', describeError(error));
      if ('Records' in event) return { batchItemFailures: failures };
      throw error;
    }
  }

  const middleware = middy<NotifierEvent, unknown>();
  if (logger.powertools) middleware.use(injectLambdaContext(logger.powertools, { resetKeys: true }));
  return middleware.handler(handle as never);
}

/** The production dependencies: settings from the environment, the table, the senders, the dead-letter queue, the report link and prices, Powertools metrics. */
export function notifierDepsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  logger: Logger = createFunctionLogger('notifier'),
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): NotifierHandlerDeps {
  const metrics = createMetrics('notifier');
  return {
    logger,
    build: () => {
      const settings: NotifierSettings = loadNotifierSettings(env);
      if (!settings.table)
        throw new Error('NOTIFICATIONS_TABLE is not set: the notifier needs its table to send each message once');
      const sqs = settings.deadLetterQueueUrl ? new SQSClient({}) : undefined;
      let publish: PublishToTopic | undefined;
      const deadLetter = async (letter: DeadLetter) => {
        logger.error('notification dead-lettered', { ...letter });
        if (!sqs || !settings.deadLetterQueueUrl) return;
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: settings.deadLetterQueueUrl,
            MessageBody: JSON.stringify(letter),
            MessageGroupId: letter.route,
            MessageDeduplicationId: `${letter.digestId}-${letter.destination}`.slice(0, 128),
          }),
        );
      };
      if (settings.routes.routes.some((r) => r.destinations.some((d) => d.kind === 'sns'))) {
        // One client per container, made on the first publish.
        let sns: Promise<PublishToTopic> | undefined;
        publish = async (input) => {
          sns ??= import('@aws-sdk/client-sns').then(({ SNSClient, PublishCommand }) => {
            const client = new SNSClient({});
            return async (i) => {
              await client.send(new PublishCommand(i));
            };
          });
          await (await sns)(input);
        };
      }
      return {
        routes: settings.routes,
        store: createDynamoNotificationStore(settings.table),
        render: (kind, digest) => render(kind, digest),
        send: createSender({
          fetchSecret: createSecretFetch({ maxAgeSeconds: settings.secretMaxAgeSeconds }),
          ...(publish ? { publish } : {}),
          timeoutMs: settings.timeoutMs,
        }),
        deadLetter,
        // A single-metric blob is written at once: per destination, without holding a batch until the end.
        count: (metric, destination, kind) =>
          metrics
            .singleMetric()
            .addDimensions({ Destination: destination, Kind: kind })
            .addMetric(metric, MetricUnit.Count, 1),
        logger,
        now: Date.now,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        policy: {
          maxAttempts: settings.maxAttempts,
          baseDelayMs: 1_000,
          maxDelayMs: 15 * 60_000,
          maxAgeMs: settings.maxAgeMs,
          maxInlineWaitMs: 5_000,
        },
        retentionMs: settings.retentionMs,
        // A fresh presigned link to the latest HTML report per digest (signed locally, no call to S3).
        ...(settings.reportLink ? { reportLink: createReportLink(settings.reportLink) } : {}),
        ...(settings.prices ? { prices: settings.prices } : {}),
        // Locally the digests are printed too (serverless-offline shows stdout).
        ...(env.IS_OFFLINE
          ? { onDelivered: (digest, destination) => write(digestLines(digest, destination).join('\n')) }
          : {}),
      };
    },
  };
}

export const handler = createNotifierHandler(notifierDepsFromEnv());
