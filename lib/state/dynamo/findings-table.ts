import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
import { backoffDelay, type RetryClock, type RetryOptions, systemClock } from '../../core/retry';
import { InvalidItemError, StateUnavailableError, TableMisconfiguredError } from '../errors';
import { FindingIndex, type FindingItem } from '../records';
import type { FindingsStore, ItemUpdate, ListFilters, ScanRecord, StoreStats } from '../store';
import {
  conditionHeld,
  type DocumentSender,
  isConditionFailure,
  queryPages as pagesOf,
  type UpdateSpec,
  updateOf,
} from './document';

export type { DocumentSender } from './document';

/** Finding ids are 32 hex digits; the lease item's sort key (`#lease`) sorts outside that range. */
const FINDING_RANGE = { lo: '0', hi: 'g' };
const LEASE_KEY = '#lease';
/** The project's scan record: what the fan-out knows of it across cycles. */
const SCAN_KEY = '#scan';

const THROTTLED = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionInProgressException',
]);
const MAX_BATCH = 25;

export interface StoreOptions {
  tableName: string;
  client?: DocumentSender;
  retry?: RetryOptions;
  clock?: RetryClock;
  /** Longest one call may take before it is abandoned (and retried while the deadline allows). */
  callTimeoutMs?: number;
}

/** The client the store uses by default: the SDK's retries off, the store owns them (within the deadline). */
export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 1 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** Findings and leases in one DynamoDB table (key: projectId + findingId). */
export function createFindingsStore(options: StoreOptions): FindingsStore {
  const client: DocumentSender = options.client ?? (createDocumentClient() as unknown as DocumentSender);
  const TableName = options.tableName;
  const retry = options.retry ?? { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 2_000 };
  const clock = options.clock ?? systemClock;
  const stats: StoreStats = { readCalls: 0, writeCalls: 0, batchWriteCalls: 0, itemsWritten: 0 };
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;

  /**
   * Sends one command, retrying throttling and transient errors until the deadline. Every call is
   * aborted at the deadline (or after callTimeoutMs), so a frozen or partitioned table costs a run
   * its time budget at most, never its summary.
   */
  async function send<T>(command: unknown, deadline: number, kind: 'read' | 'write'): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (kind === 'read') stats.readCalls++;
      else stats.writeCalls++;
      try {
        const left = deadline - clock.now();
        if (left <= 0) throw new StateUnavailableError('findings table: no time left before the deadline');
        return (await client.send(command, {
          abortSignal: AbortSignal.timeout(Math.max(1, Math.min(callTimeoutMs, left))),
        })) as T;
      } catch (error) {
        if (error instanceof StateUnavailableError || isConditionFailure(error)) throw error;
        const e = error as {
          name?: string;
          code?: unknown;
          $retryable?: unknown;
          $metadata?: { httpStatusCode?: number };
        };
        // Refused before it was sent: the SDK could not encode an item (a number DynamoDB cannot hold).
        if (!e?.$metadata && e?.name === 'Error' && e.code === undefined)
          throw new InvalidItemError('findings table: an item could not be encoded', { cause: error });
        if (e?.name === 'ValidationException')
          throw new InvalidItemError('findings table: ValidationException', { cause: error });
        const transient =
          THROTTLED.has(e?.name ?? '') ||
          !!e?.$retryable ||
          (e?.$metadata?.httpStatusCode ?? 0) >= 500 ||
          e?.name === 'TimeoutError';
        const delay = backoffDelay(Math.min(attempt, 10), retry, clock.random);
        const networkLike = !e?.$metadata;
        if (!(transient || networkLike) || attempt >= retry.maxAttempts || clock.now() + delay >= deadline) {
          throw new StateUnavailableError(`findings table: ${e?.name ?? 'error'}`, { cause: error });
        }
        await clock.sleep(delay);
      }
    }
  }

  const queryPages = (input: QueryCommandInput, deadline: number) =>
    pagesOf((command) => send(command, deadline, 'read'), input);

  /** A conditional write: false when its condition did not hold, an error for anything else. */
  const conditional = (command: unknown, deadline: number) => conditionHeld(() => send(command, deadline, 'write'));
  /** An UpdateItem that applies only while its condition holds; false when it did not. */
  const updateIf = (Key: Record<string, unknown>, u: UpdateSpec, deadline: number) =>
    conditional(updateOf(TableName, Key, u), deadline);

  /** A change of a finding's state, made only from the states `condition` allows; false when it was in another. */
  const changeState = (
    projectId: string,
    findingId: string,
    update: { set: string; condition: string; values: Record<string, unknown> },
    deadline: number,
  ) =>
    updateIf(
      { projectId, findingId },
      {
        set: update.set,
        condition: `attribute_exists(findingId) AND ${update.condition}`,
        names: { '#s': 'state' },
        values: { ':sup': 'SUPPRESSED', ':open': 'OPEN', ...update.values },
      },
      deadline,
    );

  /** One BatchWriteItem of at most 25 items, its unprocessed items sent again within the deadline. */
  async function putBatch(items: FindingItem[], deadline: number): Promise<void> {
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; requests.length > 0; attempt++) {
      stats.batchWriteCalls++;
      const out = await send<{ UnprocessedItems?: Record<string, typeof requests> }>(
        new BatchWriteCommand({ RequestItems: { [TableName]: requests } }),
        deadline,
        'write',
      );
      const left = out.UnprocessedItems?.[TableName] ?? [];
      stats.itemsWritten += requests.length - left.length;
      requests = left;
      if (requests.length === 0) break;
      const delay = backoffDelay(Math.min(attempt, 10), retry, clock.random);
      if (clock.now() + delay >= deadline)
        throw new StateUnavailableError(`findings table left ${requests.length} items unprocessed`);
      await clock.sleep(delay);
    }
  }

  const projectKey = (projectId: string): QueryCommandInput => ({
    TableName,
    KeyConditionExpression: 'projectId = :p AND findingId BETWEEN :lo AND :hi',
    ExpressionAttributeValues: { ':p': projectId, ':lo': FINDING_RANGE.lo, ':hi': FINDING_RANGE.hi },
  });

  let tableChecked: Promise<void> | undefined;

  return {
    stats,

    /**
     * Checks once per container (cold start) that the table is keyed as the store needs
     * (projectId HASH + findingId RANGE). A table keyed otherwise fails every call after this
     * check, every run (TableMisconfiguredError), instead of turning writes into silent skips; a
     * check that could not be made is tried again next time.
     */
    async verifyTable(deadline: number): Promise<void> {
      tableChecked ??= (async () => {
        const out = await send<{ Table?: { KeySchema?: Array<{ AttributeName?: string; KeyType?: string }> } }>(
          new DescribeTableCommand({ TableName }),
          deadline,
          'read',
        );
        const keys = out.Table?.KeySchema ?? [];
        const hash = keys.find((k) => k.KeyType === 'HASH')?.AttributeName;
        const range = keys.find((k) => k.KeyType === 'RANGE')?.AttributeName;
        if (hash !== 'projectId' || range !== 'findingId') {
          const actual = keys.map((k) => `${k.AttributeName} (${k.KeyType})`).join(' + ') || 'nothing';
          throw new TableMisconfiguredError(
            `findings table ${TableName} is keyed by ${actual}, not projectId (HASH) + findingId (RANGE)`,
          );
        }
      })();
      try {
        await tableChecked;
      } catch (error) {
        if (!(error instanceof TableMisconfiguredError)) tableChecked = undefined;
        throw error;
      }
    },

    /** Takes the project's lease until `untilMs`; false when another live scan holds it. */
    acquireLease(projectId: string, owner: string, untilMs: number, deadline: number): Promise<boolean> {
      return conditional(
        new PutCommand({
          TableName,
          Item: {
            projectId,
            findingId: LEASE_KEY,
            owner,
            leaseUntil: untilMs,
            expiresAt: Math.ceil(untilMs / 1000) + 3_600,
          },
          // Its own owner too: a call that took effect but was abandoned (timeout) and sent again.
          ConditionExpression: 'attribute_not_exists(findingId) OR leaseUntil < :now OR #o = :o',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':now': clock.now(), ':o': owner },
        }),
        deadline,
      );
    },

    /** Extends the lease this scan holds; false when it is no longer this scan's. */
    renewLease(projectId: string, owner: string, untilMs: number, deadline: number): Promise<boolean> {
      const u = {
        set: 'SET leaseUntil = :u, expiresAt = :e',
        condition: '#o = :o',
        names: { '#o': 'owner' },
        values: { ':o': owner, ':u': untilMs, ':e': Math.ceil(untilMs / 1000) + 3_600 },
      };
      return updateIf({ projectId, findingId: LEASE_KEY }, u, deadline);
    },

    /** Gives the lease back, only if this scan still holds it. */
    async releaseLease(projectId: string, owner: string, deadline: number): Promise<void> {
      await conditional(
        new DeleteCommand({
          TableName,
          Key: { projectId, findingId: LEASE_KEY },
          ConditionExpression: '#o = :o',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':o': owner },
        }),
        deadline,
      );
    },

    /**
     * Every finding of a project, as the compact index a scan decides with. Finding ids are
     * uniform hex, so the partition is read as 4 key ranges in parallel.
     */
    async loadIndex(projectId: string, deadline: number): Promise<FindingIndex> {
      const index = new FindingIndex();
      const ranges = [
        ['0', '4'],
        ['4', '8'],
        ['8', 'c'],
        ['c', 'g'],
      ] as const;
      await Promise.all(
        ranges.map(async ([lo, hi]) => {
          const input: QueryCommandInput = {
            TableName,
            KeyConditionExpression: 'projectId = :p AND findingId BETWEEN :lo AND :hi',
            // BETWEEN is inclusive: the upper bound itself is never a 32-digit id.
            ExpressionAttributeValues: { ':p': projectId, ':lo': lo, ':hi': hi },
            ProjectionExpression:
              'findingId, findingType, severity, #s, firstSeenAt, lastNotifiedAt, suppressedUntil, resolvedAt',
            ExpressionAttributeNames: { '#s': 'state' },
          };
          for await (const items of queryPages(input, deadline))
            for (const item of items) index.add(item as unknown as FindingItem);
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

    /**
     * Writes whole items, 25 per BatchWriteItem, retrying unprocessed ones within the deadline. A
     * batch DynamoDB refuses as invalid (one item it cannot store fails all 25) is written item by
     * item, so only the bad item is lost: the error then names how many could not be written.
     */
    async putItems(items: FindingItem[], deadline: number): Promise<void> {
      let refused = 0;
      for (let start = 0; start < items.length; start += MAX_BATCH) {
        const batch = items.slice(start, start + MAX_BATCH);
        try {
          await putBatch(batch, deadline);
        } catch (error) {
          if (!(error instanceof InvalidItemError)) throw error;
          for (const Item of batch) {
            try {
              await send(new PutCommand({ TableName, Item }), deadline, 'write');
              stats.itemsWritten++;
            } catch (single) {
              if (!(single instanceof InvalidItemError)) throw single;
              refused++;
            }
          }
        }
      }
      if (refused > 0) throw new StateUnavailableError(`findings table refused ${refused} item(s) as invalid`);
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
              ConditionExpression: update.liftSuppression
                ? 'attribute_exists(findingId) AND suppressedUntil <= :at'
                : 'attribute_exists(findingId) AND #s = :open',
              // `#snap` is the finding's subject: its snapshot, or its volume for a volume's finding.
              ExpressionAttributeNames: {
                '#s': 'state',
                '#t': 'findingType',
                '#sev': 'severity',
                '#rule': 'rule',
                '#r': 'reason',
                '#snap': update.volume ? 'volume' : 'snapshot',
                '#seen': 'lastSeenAt',
                '#notified': 'lastNotifiedAt',
                '#runs': 'runsSeen',
              },
              ExpressionAttributeValues: {
                ':open': 'OPEN',
                ':t': update.findingType,
                ':sev': update.severity,
                ':rule': update.rule,
                ':r': update.reason,
                ':snap': update.volume ?? update.snapshot,
                ':at': update.at,
                ':one': 1,
              },
            });
      const written = await conditional(command, deadline);
      if (written) stats.itemsWritten++;
      return written;
    },

    /** One page of a project's findings for the API, filtered, in findingId order. */
    async listFindings(
      projectId: string,
      filters: ListFilters,
      limit: number,
      marker: string | undefined,
      deadline: number,
    ): Promise<{ items: FindingItem[]; more: boolean }> {
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
        KeyConditionExpression: marker
          ? 'projectId = :p AND findingId BETWEEN :after AND :hi'
          : base.KeyConditionExpression,
        ExpressionAttributeValues: {
          ...base.ExpressionAttributeValues,
          ...values,
          ...(marker ? { ':after': `${marker}\u0000` } : {}),
        },
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
      const out = await send<{ Item?: FindingItem }>(
        new GetCommand({ TableName, Key: { projectId, findingId } }),
        deadline,
        'read',
      );
      return out.Item;
    },

    /** Suppresses an open finding until a time; false when it is not open or suppressed (e.g. resolved or unknown). */
    suppress(projectId, findingId, s, deadline) {
      return changeState(
        projectId,
        findingId,
        {
          set: 'SET #s = :sup, suppressedUntil = :u, suppressionReason = :r, suppressedBy = :b, suppressedAt = :at',
          condition: '#s IN (:open, :sup)',
          values: { ':u': s.until, ':r': s.reason, ':b': s.by, ':at': s.at },
        },
        deadline,
      );
    },

    /** Lifts a suppression; false when the finding is not suppressed. */
    unsuppress(projectId, findingId, deadline) {
      return changeState(
        projectId,
        findingId,
        {
          set: 'SET #s = :open REMOVE suppressedUntil, suppressionReason, suppressedBy, suppressedAt',
          condition: '#s = :sup',
          values: {},
        },
        deadline,
      );
    },

    /** The scan records of these projects (100 keys a call; unprocessed keys asked again). */
    async getScanRecords(projectIds: readonly string[], deadline: number): Promise<Map<string, ScanRecord>> {
      const found = new Map<string, ScanRecord>();
      const unique = [...new Set(projectIds)];
      for (let i = 0; i < unique.length; i += 100) {
        let keys: Record<string, unknown>[] = unique
          .slice(i, i + 100)
          .map((projectId) => ({ projectId, findingId: SCAN_KEY }));
        for (let round = 0; keys.length > 0; round++) {
          if (round > 0) await clock.sleep(backoffDelay(Math.min(round, 10), retry, clock.random));
          const out = await send<{
            Responses?: Record<string, ScanRecord[]>;
            UnprocessedKeys?: Record<string, { Keys?: Record<string, unknown>[] }>;
          }>(
            new BatchGetCommand({ RequestItems: { [TableName]: { Keys: keys, ConsistentRead: true } } }),
            deadline,
            'read',
          );
          for (const item of out.Responses?.[TableName] ?? []) found.set(item.projectId, item);
          keys = out.UnprocessedKeys?.[TableName]?.Keys ?? [];
          if (keys.length > 0 && clock.now() >= deadline)
            throw new StateUnavailableError('findings table: scan records left unread at the deadline');
        }
      }
      return found;
    },

    /** Notes that a project was dispatched, once: the first cycle it was part of. */
    async noteDispatched(
      projectId: string,
      at: number,
      where: { target: string; region: string },
      deadline: number,
    ): Promise<void> {
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
    async recordScanned(
      projectId: string,
      cycleId: string,
      complete: boolean,
      at: number,
      deadline: number,
    ): Promise<void> {
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

    /**
     * The stamp this run's OPENED transitions of findings without an item are named by. Kept while
     * unsettled: the run that set it may have announced OPENED events it never recorded, and their
     * re-sends must keep their ids. Settled (by `settleOpenings`), the next run starts a new one, so
     * a finding whose item is gone (table lost, resolved item expired) opens a new episode under a
     * new id. Stored before it is returned, so it is on the table before any event carries it.
     */
    async beginOpenings(projectId: string, fresh: string, deadline: number, dryRun = false): Promise<string> {
      // A Query of the one key (the scanner's role has Query, not GetItem).
      const read = async () =>
        (
          await send<{ Items?: Array<{ openingStamp?: unknown; openingSettled?: unknown }> }>(
            new QueryCommand({
              TableName,
              KeyConditionExpression: 'projectId = :p AND findingId = :k',
              ExpressionAttributeValues: { ':p': projectId, ':k': SCAN_KEY },
              ConsistentRead: true,
            }),
            deadline,
            'read',
          )
        ).Items?.[0];
      const current = await read();
      if (typeof current?.openingStamp === 'string' && current.openingSettled !== true) return current.openingStamp;
      if (dryRun) return fresh;
      const stamp = {
        set: 'SET openingStamp = :s, openingSettled = :f',
        condition: 'attribute_not_exists(openingStamp) OR openingSettled = :t',
        values: { ':s': fresh, ':f': false, ':t': true },
      };
      const written = await updateIf({ projectId, findingId: SCAN_KEY }, stamp, deadline);
      if (written) return fresh;
      const now = await read();
      if (typeof now?.openingStamp !== 'string')
        throw new StateUnavailableError('findings table: the opening stamp changed while it was written');
      return now.openingStamp;
    },

    /** Marks the opening stamp settled: every OPENED announced under it is recorded. */
    async settleOpenings(projectId: string, stamp: string, deadline: number): Promise<void> {
      await updateIf(
        { projectId, findingId: SCAN_KEY },
        { set: 'SET openingSettled = :t', condition: 'openingStamp = :s', values: { ':s': stamp, ':t': true } },
        deadline,
      );
    },

    /** Records that the project's overdue Scan Failed went out. */
    async noteOverdueNotified(projectId: string, at: number, deadline: number): Promise<void> {
      await send(
        new UpdateCommand({
          TableName,
          Key: { projectId, findingId: SCAN_KEY },
          UpdateExpression: 'SET overdueNotifiedAt = :at',
          ExpressionAttributeValues: { ':at': at },
        }),
        deadline,
        'write',
      );
    },
  };
}
