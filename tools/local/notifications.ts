import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveredEvent } from './eventbridge';

const definition = fileURLToPath(new URL('../../resources/notifications-table.json', import.meta.url));

/** Creates the notifications table (keys and indexes) from the definition serverless.yml deploys. */
export async function createNotificationsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { Properties } = JSON.parse(readFileSync(definition, 'utf8')) as { Properties: Record<string, any> };
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: Properties.AttributeDefinitions,
      KeySchema: Properties.KeySchema,
      GlobalSecondaryIndexes: Properties.GlobalSecondaryIndexes,
      BillingMode: Properties.BillingMode,
    }),
  );
}

/**
 * A local EventBridge rule target that does what the deployed rule's SQS target does: sends the
 * event, as EventBridge shapes it, to the notifier's queue through the real SQS client.
 */
export function toQueue(endpoint: string, queueUrl: string): (event: DeliveredEvent) => Promise<void> {
  const sqs = new SQSClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return async (event) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(event),
        MessageGroupId: 'notifications',
        MessageDeduplicationId: event.id,
      }),
    );
  };
}
