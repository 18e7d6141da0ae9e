import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, type QueryCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CleanupDetail } from '../events/contract';
import { StateUnavailableError } from '../state/errors';
import type { CleanupFields } from './decide';

/** The commands the store sends; a DynamoDBDocumentClient in production. */
export interface DocumentSender {
  send(command: unknown): Promise<any>;
}

/**
 * Audit items share the findings table, under sort keys `~cleanup#<time>#<auditId>`: `~` sorts
 * after every finding id (hex) and the scanner's `#lease`/`#scan` items, so no scan or findings
 * API query reads them, and a project's trail reads in time order.
 */
const AUDIT_PREFIX = '~cleanup#';

/** One audit item: the event's detail, kept for good (no TTL); `findingId` is the sort key, the finding is `detail.findingId`. */
export interface AuditItem {
  projectId: string;
  findingId: string;
  kind: 'cleanup-audit';
  action: CleanupDetail['action'];
  detail: CleanupDetail;
}

/** What the cleanup keeps in the findings table: marks, approvals and its audit trail. */
export interface CleanupStore {
  /** The project's findings of these rules that cleanup may still act on (open or suppressed, not stopped, not removed). */
  candidates(projectId: string, rules: ReadonlySet<string>, deadline: number): Promise<CleanupFields[]>;
  /** Records the mark written into the snapshot; false when the finding is gone or already marked. */
  recordMark(projectId: string, findingId: string, deleteAfter: string, at: string, deadline: number): Promise<boolean>;
  /** Someone removed the mark from the snapshot: cleanup leaves this finding alone from now on. */
  recordStopped(projectId: string, findingId: string, at: string, deadline: number): Promise<void>;
  recordRemoved(projectId: string, findingId: string, at: string, deadline: number): Promise<void>;
  /** Approves a marked, open finding's deletion; false when it is not one. */
  approve(projectId: string, findingId: string, by: string, at: string, deadline: number): Promise<boolean>;
  /** Withdraws an approval; false when there was none. */
  withdraw(projectId: string, findingId: string, deadline: number): Promise<boolean>;
  /** The finding's cleanup fields, or undefined. */
  read(projectId: string, findingId: string, deadline: number): Promise<(CleanupFields & { snapshot?: CleanupDetail['snapshot'] }) | undefined>;
  /** Writes one audit item (the same auditId twice is one item). */
  audit(detail: CleanupDetail, deadline: number): Promise<void>;
  /** The project's audit items from `sinceIso` on, oldest first. */
  trail(projectId: string, sinceIso: string, deadline: number): Promise<AuditItem[]>;
}

/** The default client: the SDK's standard retries (three attempts). */
export function createCleanupDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
}

/** The cleanup store on the findings table. */
export function createCleanupStore(options: { tableName: string; client?: DocumentSender }): CleanupStore {
  const TableName = options.tableName;
  let client = options.client;
  const sender = () => (client ??= createCleanupDocumentClient() as unknown as DocumentSender);

  async function send<T>(command: unknown): Promise<T> {
    try {
      return (await sender().send(command)) as T;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') throw error;
      throw new StateUnavailableError(`findings table: ${(error as { name?: string }).name ?? 'error'}`, { cause: error });
    }
  }
  async function conditional(command: unknown): Promise<boolean> {
    try {
      await send(command);
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
  async function* query(input: QueryCommandInput): AsyncGenerator<Record<string, unknown>> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const out = await send<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>(new QueryCommand({ ...input, ExclusiveStartKey }));
      yield* out.Items ?? [];
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
  const key = (projectId: string, findingId: string) => ({ projectId, findingId });

  return {
    async candidates(projectId, rules) {
      const found: CleanupFields[] = [];
      if (rules.size === 0) return found;
      for await (const item of query({
        TableName,
        KeyConditionExpression: 'projectId = :p AND findingId BETWEEN :lo AND :hi',
        FilterExpression: '#s IN (:open, :sup) AND attribute_exists(snapshotId) AND attribute_not_exists(cleanupStoppedAt) AND attribute_not_exists(cleanupRemovedAt)',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':p': projectId, ':lo': '0', ':hi': 'g', ':open': 'OPEN', ':sup': 'SUPPRESSED' },
      })) {
        const f = item as unknown as CleanupFields;
        if (typeof f.rule === 'string' && rules.has(f.rule)) found.push(f);
      }
      return found;
    },
    recordMark(projectId, findingId, deleteAfter, at) {
      return conditional(
        new UpdateCommand({
          TableName,
          Key: key(projectId, findingId),
          UpdateExpression: 'SET cleanupDeleteAfter = :d, cleanupMarkedAt = :at REMOVE cleanupApprovedBy, cleanupApprovedAt',
          ConditionExpression: 'attribute_exists(findingId) AND attribute_not_exists(cleanupDeleteAfter)',
          ExpressionAttributeValues: { ':d': deleteAfter, ':at': at },
        }),
      );
    },
    async recordStopped(projectId, findingId, at) {
      await conditional(new UpdateCommand({ TableName, Key: key(projectId, findingId), UpdateExpression: 'SET cleanupStoppedAt = :at', ConditionExpression: 'attribute_exists(findingId)', ExpressionAttributeValues: { ':at': at } }));
    },
    async recordRemoved(projectId, findingId, at) {
      await conditional(new UpdateCommand({ TableName, Key: key(projectId, findingId), UpdateExpression: 'SET cleanupRemovedAt = :at', ConditionExpression: 'attribute_exists(findingId)', ExpressionAttributeValues: { ':at': at } }));
    },
    approve(projectId, findingId, by, at) {
      return conditional(
        new UpdateCommand({
          TableName,
          Key: key(projectId, findingId),
          UpdateExpression: 'SET cleanupApprovedBy = :by, cleanupApprovedAt = :at',
          ConditionExpression: 'attribute_exists(cleanupDeleteAfter) AND #s = :open AND attribute_not_exists(cleanupRemovedAt) AND attribute_not_exists(cleanupStoppedAt)',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':by': by, ':at': at, ':open': 'OPEN' },
        }),
      );
    },
    withdraw(projectId, findingId) {
      return conditional(new UpdateCommand({ TableName, Key: key(projectId, findingId), UpdateExpression: 'REMOVE cleanupApprovedBy, cleanupApprovedAt', ConditionExpression: 'attribute_exists(cleanupApprovedBy) AND attribute_not_exists(cleanupRemovedAt)' }));
    },
    async read(projectId, findingId) {
      for await (const item of query({ TableName, KeyConditionExpression: 'projectId = :p AND findingId = :f', ExpressionAttributeValues: { ':p': projectId, ':f': findingId } })) return item as unknown as CleanupFields;
      return undefined;
    },
    async audit(detail) {
      const Item: AuditItem = { projectId: detail.projectId, findingId: `${AUDIT_PREFIX}${detail.at}#${detail.auditId}`, kind: 'cleanup-audit', action: detail.action, detail };
      await conditional(new PutCommand({ TableName, Item, ConditionExpression: 'attribute_not_exists(findingId)' }));
    },
    async trail(projectId, sinceIso) {
      const items: AuditItem[] = [];
      for await (const item of query({ TableName, KeyConditionExpression: 'projectId = :p AND findingId BETWEEN :lo AND :hi', ExpressionAttributeValues: { ':p': projectId, ':lo': `${AUDIT_PREFIX}${sinceIso}`, ':hi': `${AUDIT_PREFIX}~` } })) items.push(item as unknown as AuditItem);
      return items;
    },
  };
}
