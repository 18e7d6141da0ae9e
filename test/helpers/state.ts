import { randomUUID } from 'node:crypto';
import { createFindingsTable, type LocalDynamo, startLocalDynamo } from '../../tools/local/dynamodb';

/** dynalite on a free port with a fresh findings table, reached through AWS_ENDPOINT_URL_DYNAMODB like the functions reach it. */
export async function startStateTable(): Promise<LocalDynamo & { table: string }> {
  const dynamo = await startLocalDynamo();
  const table = `findings-${randomUUID().slice(0, 8)}`;
  await createFindingsTable(dynamo.client, table);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_REGION: process.env.AWS_REGION ?? 'eu-west-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
  });
  return { ...dynamo, table };
}
