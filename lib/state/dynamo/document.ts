import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** The commands a store sends; a DynamoDBDocumentClient in production. */
export interface DocumentSender {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<any>;
}

/** What a Query answers with, as far as paging goes. */
interface QueryPage {
  Items?: Record<string, unknown>[];
  LastEvaluatedKey?: Record<string, unknown>;
}

/** True for the error a write whose condition did not hold fails with. */
export function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

/** A conditional write: false when its condition did not hold, an error for anything else. */
export async function conditionHeld(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Every page of a Query, each sent through the store's own `send` (its retries and deadline). */
export async function* queryPages(
  send: (command: QueryCommand) => Promise<QueryPage>,
  input: QueryCommandInput,
): AsyncGenerator<Record<string, unknown>[]> {
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await send(new QueryCommand({ ...input, ExclusiveStartKey }));
    yield out.Items ?? [];
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}

/** An UpdateItem in the few words that differ: what it sets, when it may, and the names and values those use. */
export interface UpdateSpec {
  set: string;
  condition?: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** The UpdateItem command of a spec. */
export function updateOf(TableName: string, Key: Record<string, unknown>, u: UpdateSpec): UpdateCommand {
  return new UpdateCommand({
    TableName,
    Key,
    UpdateExpression: u.set,
    ...(u.condition !== undefined ? { ConditionExpression: u.condition } : {}),
    ...(u.names !== undefined ? { ExpressionAttributeNames: u.names } : {}),
    ...(u.values !== undefined ? { ExpressionAttributeValues: u.values } : {}),
  });
}
