import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { SEVERITIES, type Severity } from '../domain/finding';
import type { DeliveryRecord, DigestRecord, DueRecord, NotificationStore, ProjectHealth, StoredNotice } from './store';

/** The commands the store sends; a DynamoDBDocumentClient in production. */
export interface DocumentSender {
  send(command: unknown): Promise<any>;
}

/** The notifications table could not be read or written; the SQS message or the schedule runs again. */
export class NotificationStoreError extends Error {
  override name = 'NotificationStoreError';
}

const DELIVERIES = '#deliveries';
const DIGEST_KEY = '#digest';
const conditionFailed = (e: unknown) => (e as { name?: string }).name === 'ConditionalCheckFailedException';
const seconds = (ms: number) => Math.floor(ms / 1000);
const openKey = (route: string, severity: Severity) => `${route}#${severity}`;

/**
 * The notifications table (resources/notifications-table.json): one item per (route, notice)
 * keyed `R#route` + transitionId, listed on the sparse `due` index while it waits for its window;
 * digests and their deliveries under `D#digestId`; the routes that carried each finding and, per
 * route, whether it is open and at which severity (`openIn` = route#severity, counted on the
 * sparse `open` index); each project's scan health. Every write that makes a notice or a message is conditional, so a
 * retried invocation adds nothing twice.
 */
export function createDynamoNotificationStore(
  table: string,
  sender: DocumentSender = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  }),
): NotificationStore {
  const send = async <T = any>(command: unknown, what: string): Promise<T> => {
    try {
      return (await sender.send(command)) as T;
    } catch (error) {
      if (conditionFailed(error)) throw error;
      throw new NotificationStoreError(
        `could not ${what} in the notifications table ${table}: ${(error as Error).name}`,
        { cause: error },
      );
    }
  };
  const queryAll = async (input: Omit<QueryCommandInput, 'TableName'>, what: string) => {
    const items: Record<string, any>[] = [];
    let start: Record<string, any> | undefined;
    do {
      const page = await send<{ Items?: Record<string, any>[]; LastEvaluatedKey?: Record<string, any> }>(
        new QueryCommand({ TableName: table, ...input, ...(start ? { ExclusiveStartKey: start } : {}) }),
        what,
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };
  const conditional = async (command: unknown, what: string) => {
    try {
      await send(command, what);
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  };
  /** Writes a finding's open state on one route, unless a later notice already did (a late re-delivery changes nothing). */
  const countAs = (
    findingId: string,
    route: string,
    observedAt: string,
    update: string,
    values: Record<string, unknown>,
    what: string,
  ) =>
    conditional(
      new UpdateCommand({
        TableName: table,
        Key: { pk: `F#${findingId}`, sk: `O#${route}` },
        UpdateExpression: update,
        ConditionExpression: 'attribute_not_exists(observedAt) OR observedAt <= :o',
        ExpressionAttributeValues: { ':o': observedAt, ...values },
      }),
      what,
    );
  const toDelivery = (i: Record<string, any>): DeliveryRecord => ({
    digestId: String(i.pk).slice(2),
    route: i.route,
    destination: i.sk,
    status: i.status,
    attempts: i.attempts,
    createdAt: i.createdAt,
    nextAttemptAt: i.nextAttemptAt,
    ...(i.lastError ? { lastError: i.lastError } : {}),
  });

  return {
    record: (route, key, item, dueAt, expiresAt) =>
      conditional(
        new PutCommand({
          TableName: table,
          Item: {
            pk: `R#${route}`,
            sk: key,
            queue: `R#${route}`,
            dueAt,
            item: JSON.stringify(item),
            expiresAt: seconds(expiresAt),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
        'record a notice',
      ),
    async carriedBy(findingId) {
      const r = await send<{ Item?: { routes?: Set<string> | string[] } }>(
        new GetCommand({ TableName: table, Key: { pk: `F#${findingId}`, sk: 'routes' } }),
        'read the routes of a finding',
      );
      return [...(r.Item?.routes ?? [])];
    },
    async carry(findingId, routes, expiresAt) {
      if (routes.length === 0) return;
      // A string set: adding the same route again changes nothing, in one write.
      await send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: `F#${findingId}`, sk: 'routes' },
          UpdateExpression: 'ADD routes :r SET expiresAt = :e',
          ExpressionAttributeValues: { ':r': new Set(routes), ':e': seconds(expiresAt) },
        }),
        'remember the routes of a finding',
      );
    },
    async markOpen(findingId, routes, severity, observedAt) {
      // No TTL while open: a finding open for months still counts.
      for (const route of routes)
        await countAs(
          findingId,
          route,
          observedAt,
          'SET openIn = :k, observedAt = :o REMOVE expiresAt',
          { ':k': openKey(route, severity) },
          'count a finding open',
        );
    },
    async markResolved(findingId, observedAt, expiresAt) {
      // The finding's own items, not the carried routes: those expire, an open count must not.
      const counted = await queryAll(
        {
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :o)',
          ExpressionAttributeValues: { ':pk': `F#${findingId}`, ':o': 'O#' },
        },
        'read where a finding is counted',
      );
      for (const route of counted.map((i) => String(i.sk).slice(2)))
        await countAs(
          findingId,
          route,
          observedAt,
          'SET observedAt = :o, expiresAt = :e REMOVE openIn',
          { ':e': seconds(expiresAt) },
          'count a finding resolved',
        );
    },
    async openTotals(route) {
      const totals = {} as Record<Severity, number>;
      for (const severity of SEVERITIES) {
        let count = 0;
        let start: Record<string, any> | undefined;
        do {
          const page = await send<{ Count?: number; LastEvaluatedKey?: Record<string, any> }>(
            new QueryCommand({
              TableName: table,
              IndexName: 'open',
              KeyConditionExpression: 'openIn = :k',
              ExpressionAttributeValues: { ':k': openKey(route, severity) },
              Select: 'COUNT',
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
            'count open findings',
          );
          count += page.Count ?? 0;
          start = page.LastEvaluatedKey;
        } while (start);
        totals[severity] = count;
      }
      return totals;
    },
    async healthOf(project) {
      const r = await send<{ Item?: { failingSince?: string; failureCode?: string } }>(
        new GetCommand({ TableName: table, Key: { pk: `H#${project}`, sk: 'health' } }),
        'read a project health',
      );
      return r.Item?.failingSince
        ? { failingSince: r.Item.failingSince, ...(r.Item.failureCode ? { failureCode: r.Item.failureCode } : {}) }
        : undefined;
    },
    markFailing: (project, health: ProjectHealth) =>
      conditional(
        new PutCommand({
          TableName: table,
          Item: { pk: `H#${project}`, sk: 'health', ...health },
          ConditionExpression: 'attribute_not_exists(failingSince)',
        }),
        'mark a project failing',
      ),
    markRecovered: (project, since) =>
      conditional(
        new UpdateCommand({
          TableName: table,
          Key: { pk: `H#${project}`, sk: 'health' },
          UpdateExpression: 'REMOVE failingSince, failureCode',
          ConditionExpression: 'failingSince = :since',
          ExpressionAttributeValues: { ':since': since },
        }),
        'mark a project healthy',
      ),
    async dueRecords(route, now) {
      const items = await queryAll(
        {
          IndexName: 'due',
          KeyConditionExpression: '#q = :q AND dueAt <= :now',
          ExpressionAttributeNames: { '#q': 'queue' },
          ExpressionAttributeValues: { ':q': `R#${route}`, ':now': now },
        },
        'list due notices',
      );
      return items.map(
        (i): DueRecord => ({
          route,
          key: i.sk,
          item: JSON.parse(i.item) as StoredNotice,
          dueAt: i.dueAt,
          ...(i.claim ? { claim: i.claim } : {}),
        }),
      );
    },
    async claim(route, keys, digestId) {
      const claimed: string[] = [];
      for (const key of keys) {
        const ok = await conditional(
          new UpdateCommand({
            TableName: table,
            Key: { pk: `R#${route}`, sk: key },
            UpdateExpression: 'SET claim = :c',
            ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(claim) OR claim = :c)',
            ExpressionAttributeValues: { ':c': digestId },
          }),
          'claim a notice',
        );
        if (ok) claimed.push(key);
      }
      return claimed;
    },
    async saveDigest(digest: DigestRecord, destinations, keys, now, expiresAt) {
      await conditional(
        new PutCommand({
          TableName: table,
          Item: { pk: `D#${digest.id}`, sk: DIGEST_KEY, ...digest, expiresAt: seconds(expiresAt) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
        'save a digest',
      );
      for (const destination of destinations) {
        await conditional(
          new PutCommand({
            TableName: table,
            Item: {
              pk: `D#${digest.id}`,
              sk: destination,
              route: digest.route,
              status: 'pending',
              attempts: 0,
              createdAt: now,
              nextAttemptAt: now,
              queue: DELIVERIES,
              dueAt: now,
              leaseUntil: 0,
              expiresAt: seconds(expiresAt),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
          'save a delivery',
        );
      }
      for (const key of keys) {
        await send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: `R#${digest.route}`, sk: key },
            UpdateExpression: 'REMOVE #q',
            ExpressionAttributeNames: { '#q': 'queue' },
          }),
          'close a notice',
        );
      }
    },
    async digest(digestId) {
      const r = await send<{ Item?: Record<string, any> }>(
        new GetCommand({ TableName: table, Key: { pk: `D#${digestId}`, sk: DIGEST_KEY } }),
        'read a digest',
      );
      if (!r.Item) return undefined;
      const members = await queryAll(
        { IndexName: 'claim', KeyConditionExpression: 'claim = :c', ExpressionAttributeValues: { ':c': digestId } },
        'read the notices of a digest',
      );
      const { id, route, mode, from, to } = r.Item;
      return { record: { id, route, mode, from, to }, items: members.map((m) => JSON.parse(m.item) as StoredNotice) };
    },
    async dueDeliveries(now) {
      const items = await queryAll(
        {
          IndexName: 'due',
          KeyConditionExpression: '#q = :q AND dueAt <= :now',
          ExpressionAttributeNames: { '#q': 'queue' },
          ExpressionAttributeValues: { ':q': DELIVERIES, ':now': now },
        },
        'list due deliveries',
      );
      return items.map(toDelivery);
    },
    lease: (d, now, until) =>
      conditional(
        new UpdateCommand({
          TableName: table,
          Key: { pk: `D#${d.digestId}`, sk: d.destination },
          UpdateExpression: 'SET leaseUntil = :until',
          ConditionExpression: '#s = :pending AND leaseUntil <= :now',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':until': until, ':now': now, ':pending': 'pending' },
        }),
        'lease a delivery',
      ),
    async settle(d) {
      const pending = d.status === 'pending';
      await send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: `D#${d.digestId}`, sk: d.destination },
          UpdateExpression: `SET #s = :s, attempts = :a, nextAttemptAt = :n, leaseUntil = :zero, lastError = :e${pending ? ', dueAt = :n' : ' REMOVE #q'}`,
          ExpressionAttributeNames: { '#s': 'status', ...(pending ? {} : { '#q': 'queue' }) },
          ExpressionAttributeValues: {
            ':s': d.status,
            ':a': d.attempts,
            ':n': d.nextAttemptAt,
            ':zero': 0,
            ':e': d.lastError ?? '',
          },
        }),
        'record a delivery attempt',
      );
    },
  };
}
