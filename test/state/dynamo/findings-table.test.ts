import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFindingsStore, type DocumentSender } from '../../../lib/state/dynamo/findings-table';
import { StateUnavailableError } from '../../../lib/state/errors';
import type { FindingItem } from '../../../lib/state/records';
import type { LocalDynamo } from '../../../tools/local/dynamodb';
import { startStateTable } from '../../helpers/state';

let dynamo: LocalDynamo & { table: string };
beforeAll(async () => {
  dynamo = await startStateTable();
});
afterAll(() => dynamo.close());

const item = (n: number): FindingItem => ({
  projectId: 'p1',
  findingId: n.toString(16).padStart(32, '0'),
  snapshotId: `s${n}`,
  findingType: 'STALE',
  severity: 'low',
  state: 'OPEN',
  snapshot: {
    id: `s${n}`,
    name: null,
    status: 'available',
    volume_id: 'v',
    size: 1,
    created_at: '2026-01-01T00:00:00',
    updated_at: null,
  },
  reason: 'old',
  firstSeenAt: '2026-12-01T00:00:00.000Z',
  lastSeenAt: '2026-12-01T00:00:00.000Z',
  lastNotifiedAt: '2026-12-01T00:00:00.000Z',
  runsSeen: 1,
});

/** The real document client against dynalite, with faults injected in front of it. */
function faulty(
  plan: (
    command: { constructor: { name: string }; input: any },
    n: number,
  ) => 'throttle' | 'unprocess-half' | undefined,
): DocumentSender & { calls: number } {
  const real = DynamoDBDocumentClient.from(dynamo.client);
  const sender = {
    calls: 0,
    async send(command: any) {
      sender.calls++;
      const fault = plan(command, sender.calls);
      if (fault === 'throttle')
        throw Object.assign(new Error('slow down'), {
          name: 'ProvisionedThroughputExceededException',
          $metadata: { httpStatusCode: 400 },
        });
      if (fault === 'unprocess-half') {
        const requests = command.input.RequestItems[dynamo.table] as unknown[];
        const half = requests.slice(0, Math.ceil(requests.length / 2));
        await real.send(new (command.constructor as any)({ RequestItems: { [dynamo.table]: half } }));
        return { UnprocessedItems: { [dynamo.table]: requests.slice(half.length) } };
      }
      return real.send(command);
    },
  };
  return sender;
}

describe('findings store (dynalite)', () => {
  it('writes items 25 per BatchWriteItem call', async () => {
    const store = createFindingsStore({ tableName: dynamo.table });
    await store.putItems(
      Array.from({ length: 60 }, (_, i) => item(i)),
      Date.now() + 5_000,
    );
    expect(store.stats).toMatchObject({ writeCalls: 3, itemsWritten: 60 });
    const index = await store.loadIndex('p1', Date.now() + 5_000);
    expect(index.size).toBe(60);
  });

  it('retries unprocessed items and throttling within the deadline, losing none', async () => {
    const client = faulty((c, n) =>
      c.constructor.name === 'BatchWriteCommand'
        ? n === 1
          ? 'throttle'
          : n === 2
            ? 'unprocess-half'
            : undefined
        : undefined,
    );
    const store = createFindingsStore({
      tableName: dynamo.table,
      client,
      retry: { maxAttempts: 8, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const items = Array.from({ length: 20 }, (_, i) => ({ ...item(i + 1_000), projectId: 'p2' }));
    await store.putItems(items, Date.now() + 5_000);
    expect(store.stats.itemsWritten).toBe(20);
    expect((await store.loadIndex('p2', Date.now() + 5_000)).size).toBe(20);
  });

  it('gives up with STATE_UNAVAILABLE when the table keeps throttling past the deadline', async () => {
    const store = createFindingsStore({
      tableName: dynamo.table,
      client: faulty(() => 'throttle'),
      retry: { maxAttempts: 100, baseDelayMs: 5, maxDelayMs: 20 },
    });
    await expect(store.loadIndex('p1', Date.now() + 200)).rejects.toBeInstanceOf(StateUnavailableError);
  });

  it("gives a project's lease to one scan until it is released or its time is up", async () => {
    const store = createFindingsStore({ tableName: dynamo.table });
    const soon = Date.now() + 60_000;
    expect(await store.acquireLease('p9', 'scan-a', soon, soon)).toBe(true);
    expect(await store.acquireLease('p9', 'scan-b', soon, soon)).toBe(false);
    // Only the holder can release it.
    await store.releaseLease('p9', 'scan-b', soon);
    expect(await store.acquireLease('p9', 'scan-b', soon, soon)).toBe(false);
    await store.releaseLease('p9', 'scan-a', soon);
    expect(await store.acquireLease('p9', 'scan-b', Date.now() + 50, soon)).toBe(true);
    // A crashed holder's lease lapses at its deadline.
    await new Promise((r) => setTimeout(r, 80));
    expect(await store.acquireLease('p9', 'scan-c', soon, soon)).toBe(true);
    // The lease item is not a finding.
    expect((await store.loadIndex('p9', soon)).size).toBe(0);
  });

  it('lists the findings of a project by filter, in pages with a marker', async () => {
    const store = createFindingsStore({ tableName: dynamo.table });
    const first = await store.listFindings('p1', { state: 'OPEN' }, 25, undefined, Date.now() + 5_000);
    expect(first.items).toHaveLength(25);
    expect(first.more).toBe(true);
    const rest = await store.listFindings('p1', { state: 'OPEN' }, 100, first.items[24]?.findingId, Date.now() + 5_000);
    expect(rest.items).toHaveLength(35);
    expect(rest.more).toBe(false);
    expect([...first.items, ...rest.items].map((i) => i.findingId)).toEqual(
      Array.from({ length: 60 }, (_, i) => item(i).findingId),
    );
    expect((await store.listFindings('p1', { state: 'RESOLVED' }, 10, undefined, Date.now() + 5_000)).items).toEqual(
      [],
    );
  });
});
