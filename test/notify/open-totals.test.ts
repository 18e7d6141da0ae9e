import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SOURCE, DETAIL_TYPES, type FindingDetail } from '../../lib/events/contract';
import type { WebhookBody } from '../../lib/notify/render/webhook';
import { type LocalDynamo, startLocalDynamo } from '../../tools/local/dynamodb';
import { loadEvent } from '../helpers/events';
import { startNotificationPath } from '../helpers/notifier';
import { startScriptedServer } from '../helpers/scripted-server';

// The shipped rule, the queue and the real notifier with only a webhook URL set (the default routes), fed Finding events on the bus.
let dynamo: LocalDynamo;
let path: Awaited<ReturnType<typeof startNotificationPath>>;
let hook: Awaited<ReturnType<typeof startScriptedServer>>;
let bus: EventBridgeClient;
const T0 = Date.parse('2026-12-01T12:00:30Z');
const clock = { now: T0 };
const CYCLE = 15 * 60_000;

beforeAll(async () => {
  [dynamo, hook] = await Promise.all([startLocalDynamo(), startScriptedServer(() => ({ status: 200 }))]);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  path = await startNotificationPath(
    dynamo,
    { ALERT_WEBHOOK_URL: `${hook.url}/hook`, SCAN_CYCLE_MINUTES: '15' },
    clock,
  );
  bus = new EventBridgeClient({
    endpoint: path.bus.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}, 60_000);
afterAll(async () => {
  await Promise.all([path?.close(), hook?.close()]);
  await dynamo?.close();
});

const sample = loadEvent<{ detail: FindingDetail }>('samples/finding-error-status.json').detail;
const TYPES = { high: 'ERROR_STATUS', medium: 'STUCK', low: 'STALE' } as const;
type Sev = keyof typeof TYPES;
let serial = 0;

/** A finding of one snapshot, whose transitions the test makes one by one. */
function snapshotFinding(severity: Sev) {
  serial++;
  const n = String(serial).padStart(8, '0');
  let step = 0;
  let current: Sev = severity;
  const event = (
    transition: FindingDetail['transition'],
    next: Sev,
    extra: Partial<FindingDetail> = {},
  ): FindingDetail => {
    step++;
    const previous = current;
    current = next;
    return {
      ...sample,
      findingId: `f${n.padStart(31, '0')}`,
      transitionId: `t${n}${String(step).padStart(23, '0')}`,
      transition,
      findingType: TYPES[next],
      severity: next,
      observedAt: new Date(clock.now).toISOString(),
      snapshot: {
        ...sample.snapshot,
        id: `${n}-0000-4000-8000-000000000000`,
        name: `snap-${serial}`,
      } as FindingDetail['snapshot'],
      ...(transition === 'CHANGED' ? { previous: { findingType: TYPES[previous], severity: previous } } : {}),
      ...extra,
    } as FindingDetail;
  };
  return {
    opened: () => event('OPENED', severity),
    changed: (to: Sev) => event('CHANGED', to),
    resolved: () => event('RESOLVED', current, { openForMinutes: 15 } as Partial<FindingDetail>),
  };
}

/** Puts Finding events on the bus (the shipped rule sends them to the notifier's queue) and waits until the notifier took them. */
async function publish(details: readonly FindingDetail[]) {
  const queued = path.queue.sent.length + details.length;
  for (let i = 0; i < details.length; i += 10) {
    const entries = details
      .slice(i, i + 10)
      .map((d) => ({ Source: DEFAULT_SOURCE, DetailType: DETAIL_TYPES.finding, Detail: JSON.stringify(d) }));
    const out = await bus.send(new PutEventsCommand({ Entries: entries }));
    expect(out.FailedEntryCount ?? 0).toBe(0);
  }
  // The bus answers before its rule's target has the events: wait until the queue has them all, then until the notifier took them.
  await vi.waitFor(() => expect(path.queue.sent.length).toBe(queued), { timeout: 10_000, interval: 5 });
  await path.queue.drained();
}

/** The end of a scan cycle: the schedule's run, and what the webhook received. */
async function endOfCycle(): Promise<WebhookBody[]> {
  const before = hook.requests.length;
  await path.tick(CYCLE);
  return hook.requests.slice(before).map((r) => JSON.parse(r.body) as WebhookBody);
}

describe('open totals in digests', () => {
  const highs = Array.from({ length: 7 }, () => snapshotFinding('high'));
  const mediums = Array.from({ length: 5 }, () => snapshotFinding('medium'));
  const lows = Array.from({ length: 3 }, () => snapshotFinding('low'));
  let first: FindingDetail[] = [];
  let second: FindingDetail[] = [];

  it('states the findings a route carried that are open, by severity', async () => {
    first = [...highs, ...mediums, ...lows].map((f) => f.opened());
    await publish(first);
    // The queue re-delivers the whole batch: nothing counts twice.
    await publish(first);
    const messages = await endOfCycle();
    expect(messages.map((m) => m.route)).toEqual(['default']);
    expect(messages[0]?.openTotals).toEqual({ high: 7, medium: 5, low: 0 });
  });

  it('leaves resolved findings out and counts a finding whose severity changed at its latest, however often the events come', async () => {
    second = [
      highs[0]!.resolved(),
      highs[1]!.resolved(),
      mediums[0]!.resolved(),
      mediums[1]!.changed('high'), // escalated
      highs[2]!.changed('low'), // de-escalated: still carried by the default route, now low
    ];
    await publish(second);
    await publish(second);
    const messages = await endOfCycle();
    expect(messages.map((m) => m.route)).toEqual(['default']);
    expect(messages[0]?.openTotals).toEqual({ high: 7 - 2 + 1 - 1, medium: 5 - 1 - 1, low: 1 });
  });

  it('keeps the totals exact when old events come again in a later cycle', async () => {
    // A late re-delivery of the first cycle's events (OPENED of findings resolved or changed since) sends nothing and moves no total.
    await publish(first);
    expect(await endOfCycle()).toEqual([]);
    const late = snapshotFinding('medium');
    await publish([late.opened()]);
    const messages = await endOfCycle();
    expect(messages[0]?.openTotals).toEqual({ high: 5, medium: 4, low: 1 });
  });
});
