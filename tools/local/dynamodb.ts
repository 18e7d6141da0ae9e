import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { listenOnLoopback } from './loopback';

const definition = fileURLToPath(new URL('../../resources/findings-table.json', import.meta.url));

export interface LocalDynamo {
  url: string;
  port: number;
  /** A client aimed at this server (the functions use AWS_ENDPOINT_URL_DYNAMODB instead). */
  client: DynamoDBClient;
  close(): Promise<void>;
}

/** dynalite (DynamoDB-compatible, in memory) on 127.0.0.1. */
export async function startLocalDynamo(port = 0): Promise<LocalDynamo> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const bound = await listenOnLoopback(server, port);
  const client = new DynamoDBClient({
    endpoint: bound.url,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    url: bound.url,
    port: bound.port,
    client,
    close: async () => {
      client.destroy();
      await bound.close();
    },
  };
}

/**
 * Creates the findings table from the same definition serverless.yml deploys
 * (resources/findings-table.json). TTL, point-in-time recovery and encryption are account
 * features dynalite does not have; keys and billing are what the code depends on.
 */
export async function createFindingsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { Properties } = JSON.parse(readFileSync(definition, 'utf8')) as {
    Properties: { AttributeDefinitions: never; KeySchema: never; BillingMode: 'PAY_PER_REQUEST' };
  };
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: Properties.AttributeDefinitions,
      KeySchema: Properties.KeySchema,
      BillingMode: Properties.BillingMode,
    }),
  );
}
