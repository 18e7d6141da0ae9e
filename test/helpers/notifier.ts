import type { Context, SQSEvent } from 'aws-lambda';
import { createNotifierHandler, notifierDepsFromEnv } from '../../functions/notifier';
import { DEFAULT_SOURCE } from '../../lib/events/contract';
import { createLogger } from '../../lib/observability/log';
import type { LocalDynamo } from '../../tools/local/dynamodb';
import { startLocalEventBridge } from '../../tools/local/eventbridge';
import { createNotificationsTable, toQueue } from '../../tools/local/notifications';
import { loadRulePattern } from '../../tools/local/rules';
import { startLocalFifoQueue } from '../../tools/local/sqs';

/**
 * The deployed notification path on loopback: a local EventBridge with the shipped rule, its
 * queue, and the real notifier handler (settings from `env`, a fresh table in `dynamo`) on a
 * clock the test moves. `tick` is the schedule's run.
 */
export async function startNotificationPath(dynamo: LocalDynamo, env: Record<string, string>, clock: { now: number }) {
  const table = `notifications-${Math.random().toString(16).slice(2, 10)}`;
  await createNotificationsTable(dynamo.client, table);
  const deps = notifierDepsFromEnv(
    { NOTIFICATIONS_TABLE: table, ...env },
    createLogger({}, () => undefined),
  );
  const handler = createNotifierHandler({
    ...deps,
    build: () => ({ ...deps.build(), now: () => clock.now }),
  }) as unknown as (e: unknown, c: Context) => Promise<never>;
  const context = { getRemainingTimeInMillis: () => 60_000 } as Context;
  const queue = await startLocalFifoQueue({ deliver: (event: SQSEvent) => handler(event, context) });
  const bus = await startLocalEventBridge({
    rules: [
      {
        name: 'notifications',
        pattern: loadRulePattern('notifications', DEFAULT_SOURCE),
        deliver: toQueue(queue.endpoint, queue.queueUrl),
      },
    ],
  });
  return {
    bus,
    queue,
    /** The schedule's run, `ms` later on the notifier's clock. */
    tick: async (ms: number) => {
      clock.now += ms;
      await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, context);
    },
    close: async () => {
      await Promise.all([bus.close(), queue.close()]);
    },
  };
}
