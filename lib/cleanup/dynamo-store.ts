import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  conditionHeld,
  type DocumentSender,
  isConditionFailure,
  queryPages,
  type UpdateSpec,
  updateOf,
} from '../state/dynamo/document';
import { StateUnavailableError } from '../state/errors';
import type { CleanupFields } from './decide';
import { AUDIT_PREFIX, type AuditItem, type CleanupStore } from './store';

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
      if (isConditionFailure(error)) throw error;
      throw new StateUnavailableError(`findings table: ${(error as { name?: string }).name ?? 'error'}`, {
        cause: error,
      });
    }
  }
  const conditional = (command: unknown) => conditionHeld(() => send(command));
  async function* query(input: QueryCommandInput): AsyncGenerator<Record<string, unknown>> {
    for await (const items of queryPages((command) => send(command), input)) yield* items;
  }
  /** An UpdateItem of a finding's item that applies only while its condition holds; false when it did not. */
  const updateIf = (projectId: string, findingId: string, u: UpdateSpec) =>
    conditional(updateOf(TableName, { projectId, findingId }, u));
  /** Sets one time on an existing finding's item (a finding gone meanwhile is left gone). */
  const stamp = (
    projectId: string,
    findingId: string,
    attribute: 'cleanupStoppedAt' | 'cleanupRemovedAt',
    at: string,
  ) =>
    updateIf(projectId, findingId, {
      set: `SET ${attribute} = :at`,
      condition: 'attribute_exists(findingId)',
      values: { ':at': at },
    });

  return {
    async candidates(projectId, rules) {
      const found: CleanupFields[] = [];
      if (rules.size === 0) return found;
      for await (const item of query({
        TableName,
        KeyConditionExpression: 'projectId = :p AND findingId BETWEEN :lo AND :hi',
        FilterExpression:
          '#s IN (:open, :sup) AND attribute_exists(snapshotId) AND attribute_not_exists(cleanupStoppedAt) AND attribute_not_exists(cleanupRemovedAt)',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':p': projectId, ':lo': '0', ':hi': 'g', ':open': 'OPEN', ':sup': 'SUPPRESSED' },
      })) {
        const f = item as unknown as CleanupFields;
        if (typeof f.rule === 'string' && rules.has(f.rule)) found.push(f);
      }
      return found;
    },
    recordMark(projectId, findingId, deleteAfter, at) {
      const mark = {
        set: 'SET cleanupDeleteAfter = :d, cleanupMarkedAt = :at REMOVE cleanupApprovedBy, cleanupApprovedAt',
        condition: 'attribute_exists(findingId) AND attribute_not_exists(cleanupDeleteAfter)',
        values: { ':d': deleteAfter, ':at': at },
      };
      return updateIf(projectId, findingId, mark);
    },
    async recordStopped(projectId, findingId, at) {
      await stamp(projectId, findingId, 'cleanupStoppedAt', at);
    },
    async recordRemoved(projectId, findingId, at) {
      await stamp(projectId, findingId, 'cleanupRemovedAt', at);
    },
    approve(projectId, findingId, by, at) {
      const approval = {
        set: 'SET cleanupApprovedBy = :by, cleanupApprovedAt = :at',
        condition:
          'attribute_exists(cleanupDeleteAfter) AND #s = :open AND attribute_not_exists(cleanupRemovedAt) AND attribute_not_exists(cleanupStoppedAt)',
        names: { '#s': 'state' },
        values: { ':by': by, ':at': at, ':open': 'OPEN' },
      };
      return updateIf(projectId, findingId, approval);
    },
    withdraw(projectId, findingId) {
      return updateIf(projectId, findingId, {
        set: 'REMOVE cleanupApprovedBy, cleanupApprovedAt',
        condition: 'attribute_exists(cleanupApprovedBy) AND attribute_not_exists(cleanupRemovedAt)',
      });
    },
    async read(projectId, findingId) {
      for await (const item of query({
        TableName,
        KeyConditionExpression: 'projectId = :p AND findingId = :f',
        ExpressionAttributeValues: { ':p': projectId, ':f': findingId },
      }))
        return item as unknown as CleanupFields;
      return undefined;
    },
    async audit(detail) {
      const Item: AuditItem = {
        projectId: detail.projectId,
        findingId: `${AUDIT_PREFIX}${detail.at}#${detail.auditId}`,
        kind: 'cleanup-audit',
        action: detail.action,
        detail,
      };
      await conditional(new PutCommand({ TableName, Item, ConditionExpression: 'attribute_not_exists(findingId)' }));
    },
    async trail(projectId, sinceIso) {
      const items: AuditItem[] = [];
      for await (const item of query({
        TableName,
        KeyConditionExpression: 'projectId = :p AND findingId BETWEEN :lo AND :hi',
        ExpressionAttributeValues: { ':p': projectId, ':lo': `${AUDIT_PREFIX}${sinceIso}`, ':hi': `${AUDIT_PREFIX}~` },
      }))
        items.push(item as unknown as AuditItem);
      return items;
    },
  };
}
