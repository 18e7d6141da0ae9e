/**
 * NOT_SCANNED notices are tracked one by one (issue 23, item 8): when the bus refuses one notice
 * of a cycle, only that one is sent again next cycle, and each carries a failureId to
 * de-duplicate on. The real dispatcher handler, dynalite, a local FIFO queue (paused: no worker
 * runs, so every project becomes overdue) and a local EventBridge that refuses chosen entries.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatchScansHandler, dispatchScansDepsFromEnv } from '../../functions/dispatch-scans';
import { DETAIL_TYPES } from '../../lib/events/contract';
import type { DispatchResult } from '../../lib/fanout/dispatch';
import { createLogger } from '../../lib/observability/log';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { lambdaContext } from '../../tools/local/loopback';
import { type LocalFifoQueue, startLocalFifoQueue } from '../../tools/local/sqs';
import { schemaErrors } from '../helpers/schemas';
import { startStateTable } from '../helpers/state';

const P1 = '11111111111111111111111111111111';
const P2 = '22222222222222222222222222222222';
const CYCLE_MS = 15 * 60_000;
const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);
let refuse: string | undefined;
let bus: LocalEventBridge;
let queue: LocalFifoQueue;
let dynamo: Awaited<ReturnType<typeof startStateTable>>;
let clock = T0;
let dispatch: (event: unknown, context: Context) => Promise<DispatchResult>;

beforeAll(async () => {
  dynamo = await startStateTable();
  bus = await startLocalEventBridge({
    failEntry: (e) =>
      refuse && e.DetailType === DETAIL_TYPES.failed && JSON.parse(e.Detail).projectId === refuse
        ? { ErrorCode: 'InternalFailure', ErrorMessage: 'refused' }
        : undefined,
  });
  queue = await startLocalFifoQueue({ deliver: async () => ({}) });
  queue.pause();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  const sqs = new SQSClient({
    endpoint: queue.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const env = {
    EVS_ENDPOINT: 'http://127.0.0.1:9',
    EVS_AUTH: 'noauth',
    SCAN_PROJECT_IDS: `${P1},${P2}`,
    FINDINGS_TABLE: dynamo.table,
    SCAN_QUEUE_URL: queue.queueUrl,
    SCAN_CYCLE_MINUTES: '15',
    EVENT_MAX_ATTEMPTS: '1',
  };
  dispatch = createDispatchScansHandler(
    dispatchScansDepsFromEnv(
      env,
      createLogger({}, () => undefined, 'silent'),
      { sqs, now: () => clock },
    ),
  ) as never;
});
afterAll(async () => {
  await Promise.all([bus.close(), queue.close(), dynamo.close()]);
});

async function cycle(n: number) {
  clock = T0 + n * CYCLE_MS;
  const before = bus.received.length;
  await dispatch({ time: new Date(clock).toISOString() }, lambdaContext(30_000));
  const notices = bus.received
    .slice(before)
    .filter((e) => e.DetailType === DETAIL_TYPES.failed)
    .map((e) => JSON.parse(e.Detail));
  for (const n of notices) expect(schemaErrors(DETAIL_TYPES.failed, n)).toEqual([]);
  return notices;
}

describe('NOT_SCANNED notices, one by one', () => {
  it('sends again next cycle only the notice the bus refused, not the ones it delivered; each carries a failureId', async () => {
    expect(await cycle(0)).toEqual([]);
    expect(await cycle(1)).toEqual([]);
    // Two cycles without a complete scan: both overdue; the bus refuses P2's notice.
    refuse = P2;
    const third = await cycle(2);
    expect(third.map((n) => [n.projectId, n.failureCode])).toEqual([[P1, 'NOT_SCANNED']]);
    expect(third[0]?.failureId).toMatch(/^[0-9a-f]{32}$/);
    refuse = undefined;
    const fourth = await cycle(3);
    expect(fourth.map((n) => [n.projectId, n.failureCode])).toEqual([[P2, 'NOT_SCANNED']]);
    expect(fourth[0]?.failureId).not.toBe(third[0]?.failureId);
    // Both delivered now: nothing again until the reminder interval.
    expect(await cycle(4)).toEqual([]);
  });
});
