import { createServer } from 'node:http';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES, type FindingDetail, type OutboundEvent } from '../../lib/events/contract';
import { createEventPublisher, entrySize, toEntry } from '../../lib/events/publisher';
import { createEventBridgeClient } from '../../lib/wiring/scanner';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { listenOnLoopback } from '../../tools/local/loopback';

const fastRetry = { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 5 };
const buses: LocalEventBridge[] = [];
afterEach(async () => {
  delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

beforeAll(() => {
  process.env.AWS_REGION = 'eu-west-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
});

/** The real SDK client, aimed at a local PutEvents endpoint through the standard variable. */
async function localBus(options: Parameters<typeof startLocalEventBridge>[0] = {}) {
  const bus = await startLocalEventBridge(options);
  buses.push(bus);
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.url;
  // The SDK resolves the endpoint when it sends, so the variable stays set for the test.
  return { bus, client: new EventBridgeClient({}) };
}

function finding(n: number, padding = 0): OutboundEvent {
  return {
    source: 'evs.snapshot-scanner',
    detailType: DETAIL_TYPES.finding,
    detail: {
      findingId: `f${n}`,
      snapshot: { id: `s${n}`, description: 'x'.repeat(padding), metadata: { k: 'y'.repeat(padding) } },
    } as unknown as FindingDetail,
    resources: [`evs:r:p:snapshot/s${n}`],
    time: new Date('2026-12-01T00:00:00Z'),
  };
}

describe('PutEvents publisher (real SDK client, local endpoint)', () => {
  it('sends at most 10 entries per call and delivers every one', async () => {
    const { bus, client } = await localBus();
    const publisher = createEventPublisher({ client, busName: 'sentinel', retry: fastRetry });
    for (let i = 0; i < 23; i++) await publisher.add(finding(i));
    await publisher.flush();
    expect(bus.calls).toBe(3);
    // Batches go out concurrently, so arrival order is not promised (EventBridge promises none either).
    expect(bus.received.map((e) => JSON.parse(e.Detail).findingId).sort()).toEqual(
      Array.from({ length: 23 }, (_, i) => `f${i}`).sort(),
    );
    expect(bus.received.every((e) => e.EventBusName === 'sentinel')).toBe(true);
    expect(publisher.stats).toMatchObject({ calls: 3, published: 23, failed: [] });
  });

  it('splits batches by bytes as AWS counts them, never sending an over-limit request', async () => {
    const { bus, client } = await localBus({ maxRequestBytes: 10_000 });
    const publisher = createEventPublisher({ client, busName: 'b', maxBatchBytes: 10_000, retry: fastRetry });
    const events = Array.from({ length: 12 }, (_, i) => finding(i, 1_200));
    const size = entrySize(toEntry(events[0] as OutboundEvent, 'b'));
    expect(size).toBeGreaterThan(2_400);
    for (const e of events) await publisher.add(e);
    await publisher.flush();
    const perCall = Math.floor(10_000 / size);
    expect(bus.calls).toBe(Math.ceil(12 / perCall));
    expect(publisher.stats.published).toBe(12);
  });

  it('keeps at most maxInFlight calls out at once', async () => {
    const { bus, client } = await localBus();
    let current = 0;
    let peak = 0;
    const counting = {
      send: async (command: PutEventsCommand) => {
        peak = Math.max(peak, ++current);
        try {
          return await client.send(command);
        } finally {
          current--;
        }
      },
    };
    const publisher = createEventPublisher({ client: counting, busName: 'b', maxInFlight: 3, retry: fastRetry });
    for (let i = 0; i < 100; i++) await publisher.add(finding(i));
    await publisher.flush();
    expect(peak).toBe(3);
    expect(bus.received).toHaveLength(100);
    expect(publisher.stats.calls).toBe(10);
  });

  it('counts entry size the way AWS documents it', () => {
    const e = toEntry(finding(1), 'b');
    const fixed =
      Buffer.byteLength(e.Source ?? '') +
      Buffer.byteLength(e.DetailType ?? '') +
      Buffer.byteLength(e.Resources?.[0] ?? '');
    expect(entrySize(e)).toBe(fixed + Buffer.byteLength(e.Detail ?? '') + 14);
    expect(entrySize({ ...e, Time: undefined, Detail: '{"n":"快"}' })).toBe(fixed + Buffer.byteLength('{"n":"快"}'));
  });

  it('retries only the throttled entries of a call, so each is delivered exactly once', async () => {
    const { bus, client } = await localBus({
      failEntry: (_e, call, index) =>
        call <= 2 && index % 3 === 0 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : undefined,
    });
    const publisher = createEventPublisher({ client, busName: 'b', retry: fastRetry });
    for (let i = 0; i < 10; i++) await publisher.add(finding(i));
    await publisher.flush();
    const ids = bus.received.map((e) => JSON.parse(e.Detail).findingId).sort();
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => `f${i}`).sort());
    expect(publisher.stats.failed).toEqual([]);
    expect(publisher.stats.retriedEntries).toBe(4 + 2);
  });

  it('reports terminal entry errors without retrying them, and delivers the rest', async () => {
    const { bus, client } = await localBus({
      failEntry: (e) =>
        JSON.parse(e.Detail).findingId === 'f2'
          ? { ErrorCode: 'AccessDeniedException', ErrorMessage: 'denied' }
          : undefined,
    });
    const publisher = createEventPublisher({ client, busName: 'b', retry: fastRetry });
    for (let i = 0; i < 5; i++) await publisher.add(finding(i));
    await publisher.flush();
    expect(bus.calls).toBe(1);
    expect(bus.received).toHaveLength(4);
    expect(publisher.stats.failed).toEqual([
      { detailType: DETAIL_TYPES.finding, key: 'f2', errorCode: 'AccessDeniedException', errorMessage: 'denied' },
    ]);
  });

  it('gives up on an entry that keeps failing internally after maxAttempts, and reports it', async () => {
    const { client } = await localBus({ failEntry: () => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'oops' }) });
    const publisher = createEventPublisher({
      client,
      busName: 'b',
      deadline: Date.now() + 10_000,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });
    await publisher.add(finding(1));
    await publisher.flush();
    expect(publisher.stats).toMatchObject({ calls: 3, published: 0 });
    expect(publisher.stats.failed).toEqual([
      {
        detailType: DETAIL_TYPES.finding,
        key: 'f1',
        errorCode: 'RetriesExhausted',
        errorMessage: 'InternalFailure: oops',
      },
    ]);
  });

  it('retries throttled entries for as long as the budget lasts, not a fixed number of times', async () => {
    // A bus that throttles every 4th entry it receives: an entry retried alone is throttled often.
    let received = 0;
    const { bus, client } = await localBus({
      failEntry: () =>
        ++received % 4 === 0 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : undefined,
    });
    const publisher = createEventPublisher({
      client,
      busName: 'b',
      deadline: Date.now() + 20_000,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
    for (let i = 0; i < 300; i++) await publisher.add(finding(i));
    await publisher.flush();
    const ids = bus.received.map((e) => JSON.parse(e.Detail).findingId);
    expect(new Set(ids).size).toBe(300);
    expect(ids).toHaveLength(300);
    expect(publisher.stats.failed).toEqual([]);
  });

  it('sends a batch the bus answers with HTTP 500 exactly maxAttempts times: the SDK client does not retry on its own', async () => {
    const { bus } = await localBus({ failCall: () => ({ status: 500, type: 'InternalException', message: 'boom' }) });
    const publisher = createEventPublisher({
      client: createEventBridgeClient(2_000),
      busName: 'b',
      deadline: Date.now() + 10_000,
      retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2 },
    });
    await publisher.add(finding(1));
    await publisher.flush();
    expect(bus.calls).toBe(5);
    expect(publisher.stats.failed).toMatchObject([{ key: 'f1', errorCode: 'RetriesExhausted' }]);
  });

  it('gives up on a bus that never answers when the budget ends, recording every entry as undelivered', async () => {
    let requests = 0;
    const hanging = createServer(() => {
      requests++;
    });
    const bound = await listenOnLoopback(hanging);
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bound.url;
    try {
      const started = Date.now();
      const publisher = createEventPublisher({
        client: createEventBridgeClient(400),
        busName: 'b',
        callTimeoutMs: 400,
        deadline: started + 1_500,
        retry: { maxAttempts: 50, baseDelayMs: 1, maxDelayMs: 2 },
      });
      for (let i = 0; i < 25; i++) await publisher.add(finding(i));
      await publisher.flush();
      const took = Date.now() - started;
      expect(took).toBeLessThan(4_000);
      expect(requests).toBeGreaterThan(0);
      expect(publisher.stats.published).toBe(0);
      expect(publisher.stats.failed.map((f) => f.key).sort()).toEqual(
        Array.from({ length: 25 }, (_, i) => `f${i}`).sort(),
      );
    } finally {
      await bound.close();
    }
  });

  it('shrinks a finding too large on its own (drops metadata and description) and flags it', async () => {
    const { bus, client } = await localBus({ maxRequestBytes: 4_000 });
    const publisher = createEventPublisher({ client, busName: 'b', maxBatchBytes: 4_000, retry: fastRetry });
    await publisher.add(finding(1, 3_000));
    await publisher.flush();
    expect(publisher.stats).toMatchObject({ published: 1, shrunk: 1, failed: [] });
    const detail = JSON.parse(bus.received[0]?.Detail ?? '{}');
    expect(detail.truncated).toBe(true);
    expect(detail.snapshot.metadata).toBeUndefined();
    expect(detail.snapshot.description).toBeUndefined();
    expect(detail.snapshot.id).toBe('s1');
  });

  it('reports an entry that cannot be shrunk enough instead of dropping it', async () => {
    const { bus, client } = await localBus();
    const publisher = createEventPublisher({ client, busName: 'b', maxBatchBytes: 1_024, retry: fastRetry });
    await publisher.add({ ...finding(1), resources: ['r'.repeat(2_000)] });
    await publisher.flush();
    expect(bus.calls).toBe(0);
    expect(publisher.stats.failed[0]).toMatchObject({ key: 'f1', errorCode: 'EntryTooLarge' });
  });

  it('stops retrying at the deadline and reports what is left', async () => {
    const { client } = await localBus({
      failEntry: () => ({ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }),
    });
    const publisher = createEventPublisher({
      client,
      busName: 'b',
      deadline: Date.now() + 2_000,
      retry: { maxAttempts: 10, baseDelayMs: 5_000, maxDelayMs: 5_000 },
    });
    await publisher.add(finding(1));
    await publisher.flush();
    expect(publisher.stats.failed[0]).toMatchObject({
      errorCode: 'DeadlineReached',
      errorMessage: 'the run ran out of time before a retry',
    });
  });
});

describe('PutEvents publisher (aws-sdk-client-mock)', () => {
  it('retries a whole call the service throttled, then succeeds', async () => {
    const mock = mockClient(EventBridgeClient);
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    mock
      .on(PutEventsCommand)
      .rejectsOnce(throttled)
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }, { EventId: 'b' }] });
    const publisher = createEventPublisher({ client: new EventBridgeClient({}), busName: 'b', retry: fastRetry });
    await publisher.add(finding(1));
    await publisher.add(finding(2));
    await publisher.flush();
    expect(mock.commandCalls(PutEventsCommand)).toHaveLength(2);
    expect(publisher.stats).toMatchObject({ published: 2, failed: [] });
    mock.restore();
  });

  it('reports every entry of a call refused for good (AccessDenied)', async () => {
    const mock = mockClient(EventBridgeClient);
    mock
      .on(PutEventsCommand)
      .rejects(
        Object.assign(new Error('not allowed'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }),
      );
    const publisher = createEventPublisher({ client: new EventBridgeClient({}), busName: 'b', retry: fastRetry });
    await publisher.add(finding(1));
    await publisher.add(finding(2));
    await publisher.flush();
    expect(mock.commandCalls(PutEventsCommand)).toHaveLength(1);
    expect(publisher.stats.failed.map((f) => [f.key, f.errorCode])).toEqual([
      ['f1', 'AccessDeniedException'],
      ['f2', 'AccessDeniedException'],
    ]);
    mock.restore();
  });
});
