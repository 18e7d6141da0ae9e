import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { backoffDelay, type RetryClock, type RetryOptions, systemClock } from '../retry';
import { StateUnavailableError } from './errors';
import { type FindingItem, FindingIndex, type FindingState, type StoredSnapshot, type StoredVolume } from './records';

/** The commands the store sends; a DynamoDBDocumentClient in production. */
export interface DocumentSender {
  send(command: unknown): Promise<any>;
}

/** Finding ids are 32 hex digits; the lease item's sort key (`#lease`) sorts outside that range. */
const FINDING_RANGE = { lo: '0', hi: 'g' };
const LEASE_KEY = '#lease';
/** The project's scan record: what the fan-out knows of it across cycles. */
const SCAN_KEY = '#scan';

/** When a project was first dispatched, last scanned completely, and last reported overdue. */
export interface ScanRecord {
  projectId: string;
  target?: string;
  region?: string;
  firstDispatchedAt?: number;
  /** The last cycle whose work item ran to its end (its events sent), complete or not. */
  lastScannedCycle?: string;
  lastCompletedCycle?: string;
  lastCompleteAt?: number;
  overdueNotifiedAt?: number;
}
const THROTTLED = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError', 'ServiceUnavailable', 'TransactionInProgressException']);
const MAX_BATCH = 25;

export interface StoreStats {
  readCalls: number;
  writeCalls: number;
  /** Of writeCalls, the BatchWriteItem calls. */
  batchWriteCalls: number;
  itemsWritten: number;
}

/** A change to an existing item after its transition was announced. */
export type ItemUpdate =
  | { kind: 'renotified'; projectId: string; findingId: string; findingType: string; severity: string; rule: string; reason: string; snapshot?: StoredSnapshot; volume?: StoredVolume; at: string; liftSuppression: boolean }
  | { kind: 'resolved'; projectId: string; findingId: string; at: string; expiresAt: number };

export interface ListFilters {
  state?: FindingState;
  severity?: string;
  finding_type?: string;
  snapshot_id?: string;
}

export interface StoreOptions {
  tableName: string;
  client?: DocumentSender;
  retry?: RetryOptions;
  clock?: RetryClock;
}

/** The client the store uses by default: the SDK's retries off, the store owns them (within the deadline). */
export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 1 }), { marshallOptions: { removeUndefinedValues: true } });
}

/** Findings and leases in one DynamoDB table (key: projectId + findingId). */
export function createFindingsStore(options: StoreOptions) {
  const client: DocumentSender = options.client ?? (createDocumentClient() as unknown as DocumentSender);
  const TableName = options.tableName;
  const retry = options.retry ?? { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 2_000 };
  const clock = options.clock ?? systemClock;
  const stats: StoreStats = { readCalls: 0, writeCalls: 0, batchWriteCalls: 0, itemsWritten: 0 };

  /** Sends one command, retrying throttling and transient errors until the deadline. */
  async function send<T>(command: unknown, deadline: number, kind: 'read' | 'write'): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (kind === 'read') stats.readCalls++;
      else stats.writeCalls++;
      try {
        return (await client.send(command)) as T;
      } catch (error) {
        const e = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
        if (e?.name === 'ConditionalCheckFailedException') throw error;
        const transient = THROTTLED.has(e?.name ?? '') || !!e?.$retryable || (e?.$metadata?.httpStatusCode ?? 0) >= 500 || e?.name === 'TimeoutError';
        const delay = backoffDelay(Math.min(attempt, 10), retry, clock.random);
        const networkLike = !e?.$metadata;
        if (!(transient || networkLike) || attempt >= retry.maxAttempts || clock.now() + delay >= deadline) {
          throw new StateUnavailableError(`findings table: ${e?.name ?? 'error'}`, { cause: error });
        }
        await clock.sleep(delay);
      }
    }
  }

  async function* queryPages(input: QueryCommandInput, deadline: number): AsyncGenerator<Record<string, unknown>[]> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const out = await send<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>(new QueryCommand({ ...input, ExclusiveStartKey }), deadline, 'read');
      yield out.Items ?? [];
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  /** A conditional write: false when its condition did not hold, an error for anything else. */
  async function conditional(command: unknown, deadline: number): Promise<boolean> {
    try {
      await send(command, deadline, 'write');
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  const projectKey = (projectId: string): QueryCommandInput => ({
    TableName,
    KeyConditionExpression: 'projectId = :p AND findingId BETWEEN :lo AND :hi',
    ExpressionAttributeValues: { ':p': projectId, ':lo': FINDING_RANGE.lo, ':hi': FINDING_RANGE.hi },
  });

  return {
    stats,

    /** Takes the project's lease until `untilMs`; false when another live scan holds it. */
    acquireLease(projectId: string, owner: string, untilMs: number, deadline: number): Promise<boolean> {
      return conditional(
        new PutCommand({
          TableName,
          Item: { projectId, findingId: LEASE_KEY, owner, leaseUntil: untilMs, expiresAt: Math.ceil(untilMs / 1000) + 3_600 },
          ConditionExpression: 'attribute_not_exists(findingId) OR leaseUntil < :now',
          ExpressionAttributeValues: { ':now': clock.now() },
        }),
        deadline,
      );
    },

    /** Gives the lease back, only if this scan still holds it. */
    async releaseLease(projectId: string, owner: string, deadline: number): Promise<void> {
      await conditional(new DeleteCommand({ TableName, Key: { projectId, findingId: LEASE_KEY }, ConditionExpression: '#o = :o', ExpressionAttributeNames: { '#o': 'owner' }, ExpressionAttributeValues: { ':o': owner } }), deadline);
    },

    /**
     * Every finding of a project, as the compact index a scan decides with. Finding ids are
     * uniform hex, so the partition is read as 4 key ranges in parallel.
     */
    async loadIndex(projectId: string, deadline: number): Promise<FindingIndex> {
      const index = new FindingIndex();
      const ranges = [['0', '4'], ['4', '8'], ['8', 'c'], ['c', 'g']] as const;
      await Promise.all(
        ranges.map(async ([lo, hi]) => {
          const input: QueryCommandInput = {
            TableName,
            KeyConditionExpression: 'projectId = :p AND findingId BETWEEN :lo AND :hi',
            // BETWEEN is inclusive: the upper bound itself is never a 32-digit id.
            ExpressionAttributeValues: { ':p': projectId, ':lo': lo, ':hi': hi },
            ProjectionExpression: 'findingId, findingType, severity, #s, firstSeenAt, lastNotifiedAt, suppressedUntil, resolvedAt',
            ExpressionAttributeNames: { '#s': 'state' },
          };
          for await (const items of queryPages(input, deadline)) for (const item of items) index.add(item as unknown as FindingItem);
        }),
      );
      return index;
    },

    /** The full items of some findings of a project (those a scan resolves). */
    async readItems(projectId: string, wanted: ReadonlySet<string>, deadline: number): Promise<FindingItem[]> {
      const found: FindingItem[] = [];
      for await (const items of queryPages(projectKey(projectId), deadline)) {
        for (const item of items) if (wanted.has(item.findingId as string)) found.push(item as unknown as FindingItem);
      }
      return found;
    },

    /** Writes whole items, 25 per BatchWriteItem, retrying unprocessed ones within the deadline. */
    async putItems(items: FindingItem[], deadline: number): Promise<void> {
      for (let start = 0; start < items.length; start += MAX_BATCH) {
        let requests = items.slice(start, start + MAX_BATCH).map((Item) => ({ PutRequest: { Item } }));
        for (let attempt = 1; requests.length > 0; attempt++) {
          stats.batchWriteCalls++;
          const out = await send<{ UnprocessedItems?: Record<string, typeof requests> }>(new BatchWriteCommand({ RequestItems: { [TableName]: requests } }), deadline, 'write');
          const left = out.UnprocessedItems?.[TableName] ?? [];
          stats.itemsWritten += requests.length - left.length;
          requests = left;
          if (requests.length === 0) break;
          const delay = backoffDelay(Math.min(attempt, 10), retry, clock.random);
          if (clock.now() + delay >= deadline) throw new StateUnavailableError(`findings table left ${requests.length} items unprocessed`);
          await clock.sleep(delay);
        }
      }
    },

    /** Records an announced transition on an existing item; false when the item changed under it (e.g. suppressed meanwhile). */
    async updateItem(update: ItemUpdate, deadline: number): Promise<boolean> {
      const Key = { projectId: update.projectId, findingId: update.findingId };
      const command =
        update.kind === 'resolved'
          ? new UpdateCommand({
              TableName,
              Key,
              UpdateExpression: 'SET #s = :resolved, resolvedAt = :at, expiresAt = :exp',
              ConditionExpression: 'attribute_exists(findingId) AND #s <> :resolved',
              ExpressionAttributeNames: { '#s': 'state' },
              ExpressionAttributeValues: { ':resolved': 'RESOLVED', ':at': update.at, ':exp': update.expiresAt },
            })
          : new UpdateCommand({
              TableName,
              Key,
              UpdateExpression: `SET #s = :open, #t = :t, #sev = :sev, #rule = :rule, #r = :r, #snap = :snap, #seen = :at, #notified = :at ADD #runs :one${update.liftSuppression ? ' REMOVE suppressedUntil, suppressionReason, suppressedBy, suppressedAt' : ''}`,
              // A suppression set while this scan ran wins over the scan's write.
              ConditionExpression: update.liftSuppression ? 'attribute_exists(findingId) AND suppressedUntil <= :at' : 'attribute_exists(findingId) AND #s = :open',
              // `#snap` is the finding's subject: its snapshot, or its volume for a volume's finding.
              ExpressionAttributeNames: { '#s': 'state', '#t': 'findingType', '#sev': 'severity', '#rule': 'rule', '#r': 'reason', '#snap': update.volume ? 'volume' : 'snapshot', '#seen': 'lastSeenAt', '#notified': 'lastNotifiedAt', '#runs': 'runsSeen' },
              ExpressionAttributeValues: { ':open': 'OPEN', ':t': update.findingType, ':sev': update.severity, ':rule': update.rule, ':r': update.reason, ':snap': update.volume ?? update.snapshot, ':at': update.at, ':one': 1 },
            });
      const written = await conditional(command, deadline);
      if (written) stats.itemsWritten++;
      return written;
    },

    /** One page of a project's findings for the API, filtered, in findingId order. */
    async listFindings(projectId: string, filters: ListFilters, limit: number, marker: string | undefined, deadline: number): Promise<{ items: FindingItem[]; more: boolean }> {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const clauses: string[] = [];
      const filter = (attribute: string, value: string | undefined) => {
        if (value === undefined) return;
        names[`#${attribute}`] = attribute;
        values[`:${attribute}`] = value;
        clauses.push(`#${attribute} = :${attribute}`);
      };
      filter('state', filters.state);
      filter('severity', filters.severity);
      filter('findingType', filters.finding_type);
      filter('snapshotId', filters.snapshot_id);
      const base = projectKey(projectId);
      const input: QueryCommandInput = {
        ...base,
        KeyConditionExpression: marker ? 'projectId = :p AND findingId BETWEEN :after AND :hi' : base.KeyConditionExpression,
        ExpressionAttributeValues: { ...base.ExpressionAttributeValues, ...values, ...(marker ? { ':after': `${marker}\u0000` } : {}) },
        ...(clauses.length ? { FilterExpression: clauses.join(' AND '), ExpressionAttributeNames: names } : {}),
        Limit: Math.min(1000, limit + 1),
      };
      if (marker) delete (input.ExpressionAttributeValues as Record<string, unknown>)[':lo'];
      const items: FindingItem[] = [];
      for await (const page of queryPages(input, deadline)) {
        for (const item of page) items.push(item as unknown as FindingItem);
        if (items.length > limit) break;
      }
      return { items: items.slice(0, limit), more: items.length > limit };
    },

    async getFinding(projectId: string, findingId: string, deadline: number): Promise<FindingItem | undefined> {
      const out = await send<{ Item?: FindingItem }>(new GetCommand({ TableName, Key: { projectId, findingId } }), deadline, 'read');
      return out.Item;
    },

    /** Suppresses an open finding until a time; false when it is not open or suppressed (e.g. resolved or unknown). */
    suppress(projectId: string, findingId: string, s: { until: string; reason: string; by: string; at: string }, deadline: number): Promise<boolean> {
      return conditional(
        new UpdateCommand({
          TableName,
          Key: { projectId, findingId },
          UpdateExpression: 'SET #s = :sup, suppressedUntil = :u, suppressionReason = :r, suppressedBy = :b, suppressedAt = :at',
          ConditionExpression: 'attribute_exists(findingId) AND #s IN (:open, :sup)',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':sup': 'SUPPRESSED', ':open': 'OPEN', ':u': s.until, ':r': s.reason, ':b': s.by, ':at': s.at },
        }),
        deadline,
      );
    },

    /** Lifts a suppression; false when the finding is not suppressed. */
    unsuppress(projectId: string, findingId: string, deadline: number): Promise<boolean> {
      return conditional(
        new UpdateCommand({
          TableName,
          Key: { projectId, findingId },
          UpdateExpression: 'SET #s = :open REMOVE suppressedUntil, suppressionReason, suppressedBy, suppressedAt',
          ConditionExpression: 'attribute_exists(findingId) AND #s = :sup',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':sup': 'SUPPRESSED', ':open': 'OPEN' },
        }),
        deadline,
      );
    },

    /** The scan records of these projects (100 keys a call; unprocessed keys asked again). */
    async getScanRecords(projectIds: readonly string[], deadline: number): Promise<Map<string, ScanRecord>> {
      const found = new Map<string, ScanRecord>();
      const unique = [...new Set(projectIds)];
      for (let i = 0; i < unique.length; i += 100) {
        let keys: Record<string, unknown>[] = unique.slice(i, i + 100).map((projectId) => ({ projectId, findingId: SCAN_KEY }));
        for (let round = 0; keys.length > 0; round++) {
          if (round > 0) await clock.sleep(backoffDelay(Math.min(round, 10), retry, clock.random));
          const out = await send<{ Responses?: Record<string, ScanRecord[]>; UnprocessedKeys?: Record<string, { Keys?: Record<string, unknown>[] }> }>(new BatchGetCommand({ RequestItems: { [TableName]: { Keys: keys, ConsistentRead: true } } }), deadline, 'read');
          for (const item of out.Responses?.[TableName] ?? []) found.set(item.projectId, item);
          keys = out.UnprocessedKeys?.[TableName]?.Keys ?? [];
          if (keys.length > 0 && clock.now() >= deadline) throw new StateUnavailableError('findings table: scan records left unread at the deadline');
        }
      }
      return found;
    },

    /** Notes that a project was dispatched, once: the first cycle it was part of. */
    async noteDispatched(projectId: string, at: number, where: { target: string; region: string }, deadline: number): Promise<void> {
      await send(
        new UpdateCommand({
          TableName,
          Key: { projectId, findingId: SCAN_KEY },
          UpdateExpression: 'SET firstDispatchedAt = if_not_exists(firstDispatchedAt, :at), #t = :t, #r = :r',
          ExpressionAttributeNames: { '#t': 'target', '#r': 'region' },
          ExpressionAttributeValues: { ':at': at, ':t': where.target, ':r': where.region },
        }),
        deadline,
        'write',
      );
    },

    /**
     * Records that the project's work item of this cycle ran to its end, its events sent; when
     * the scan was complete, also that (an overdue notice then no longer applies).
     */
    async recordScanned(projectId: string, cycleId: string, complete: boolean, at: number, deadline: number): Promise<void> {
      await send(
        new UpdateCommand({
          TableName,
          Key: { projectId, findingId: SCAN_KEY },
          UpdateExpression: complete
            ? 'SET lastScannedCycle = :c, lastCompletedCycle = :c, lastCompleteAt = :at, firstDispatchedAt = if_not_exists(firstDispatchedAt, :at) REMOVE overdueNotifiedAt'
            : 'SET lastScannedCycle = :c, firstDispatchedAt = if_not_exists(firstDispatchedAt, :at)',
          ExpressionAttributeValues: { ':c': cycleId, ':at': at },
        }),
        deadline,
        'write',
      );
    },

    /** Records that the project's overdue Scan Failed went out. */
    async noteOverdueNotified(projectId: string, at: number, deadline: number): Promise<void> {
      await send(new UpdateCommand({ TableName, Key: { projectId, findingId: SCAN_KEY }, UpdateExpression: 'SET overdueNotifiedAt = :at', ExpressionAttributeValues: { ':at': at } }), deadline, 'write');
    },
  };
}

export type FindingsStore = ReturnType<typeof createFindingsStore>;
