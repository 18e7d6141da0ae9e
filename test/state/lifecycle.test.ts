import { DeleteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { DETAIL_TYPES, findingIdOf } from '../../lib/events/contract';
import { createPrintingSink } from '../../lib/scan/dry-run';
import { createFindingsStore } from '../../lib/state/dynamo/findings-table';
import { buildScanner, createEventBridgeClient } from '../../lib/wiring/scanner';
import { loadScanSettings } from '../../lib/wiring/settings/scanner';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import {
  type FaultResponse,
  type ListRequestInfo,
  type RunningEmulator,
  startEmulator,
} from '../../tools/emulator/server';
import type { LocalDynamo } from '../../tools/local/dynamodb';
import {
  type LocalEventBridge,
  type LocalEventBridgeOptions,
  startLocalEventBridge,
} from '../../tools/local/eventbridge';
import { startDynamoProxy } from '../helpers/dynamo-proxy';
import { flaggedByDefaultPolicy } from '../helpers/fleet';
import { schemaErrors } from '../helpers/schemas';
import { startStateTable } from '../helpers/state';

let fleet: Fleet;
let emulator: RunningEmulator;
let dynamo: LocalDynamo & { table: string };
let fault: ((r: ListRequestInfo) => FaultResponse | undefined) | undefined;
let latency = 0;
const buses: LocalEventBridge[] = [];
const HOUR = 3_600_000;

beforeAll(async () => {
  fleet = generateFleet({ seed: 'lifecycle', size: 2_000, projects: 1, now: Date.now() });
  emulator = await startEmulator({
    projects: fleet.projects,
    auth: { mode: 'noauth' },
    fault: (r) => fault?.(r),
    latencyMs: () => latency,
  });
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(async () => {
  dynamo = await startStateTable();
  emulator.store.load(fleet.projects[0] as never);
});
afterEach(async () => {
  fault = undefined;
  latency = 0;
  await Promise.all(buses.splice(0).map((b) => b.close()));
  await dynamo.close();
});

const project = () => fleet.projects[0]?.projectId as string;
/** What the classifier flags at time `t`: ages grow, so later scans legitimately open more. */
const flaggedAt = (t: number) => flaggedByDefaultPolicy(fleet.projects[0] as never, t);
const snapshots = () => fleet.projects[0]?.snapshots as Snapshot[];

async function scan(
  options: { at?: number; bus?: LocalEventBridgeOptions; env?: Record<string, string>; dryRun?: boolean } = {},
) {
  const bus = await startLocalEventBridge(options.bus);
  buses.push(bus);
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.url;
  const settings = loadScanSettings({
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    EVS_RETRY_BASE_MS: '1',
    SCAN_PROJECT_IDS: project(),
    FINDINGS_TABLE: dynamo.table,
    SCAN_RESERVE_MS: '300',
    EVENT_RETRY_BASE_MS: '1',
    EVENT_RETRY_MAX_MS: '5',
    ...options.env,
  });
  const store = createFindingsStore({ tableName: dynamo.table });
  const printed: string[] = [];
  const at = options.at ?? fleet.now;
  const scanner = buildScanner(settings, {
    store,
    now: () => at,
    eventBridge: createEventBridgeClient(2_000),
    ...(options.dryRun ? { dryRun: true, createSink: () => createPrintingSink((l) => printed.push(l)) } : {}),
  });
  const result = await scanner(Date.now() + 60_000);
  const events = options.dryRun
    ? printed.map((l) => JSON.parse(l)).map((e) => ({ type: e['detail-type'], detail: e.detail }))
    : bus.received.map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail) }));
  for (const e of events) expect(schemaErrors(e.type, e.detail)).toEqual([]);
  const findings = events.filter((e) => e.type === DETAIL_TYPES.finding).map((e) => e.detail);
  const summary = events.find((e) => e.type === DETAIL_TYPES.summary)?.detail;
  return { result, events, findings, summary, store, bus };
}

async function tableItems() {
  const out = await DynamoDBDocumentClient.from(dynamo.client).send(new ScanCommand({ TableName: dynamo.table }));
  return (out.Items ?? []).filter((i) => !String(i.findingId).startsWith('#'));
}

describe('finding lifecycle in DynamoDB (dynalite)', () => {
  it('announces each finding once: OPENED on the first scan, nothing on the second, and writes nothing then', async () => {
    const first = await scan();
    expect(first.result.ok).toBe(true);
    expect(first.findings.map((f) => f.transition)).toEqual(Array(fleet.expected.size).fill('OPENED'));
    expect(new Set(first.findings.map((f) => f.snapshot.id))).toEqual(new Set(fleet.expected.keys()));
    expect(first.summary).toMatchObject({
      stateful: true,
      opened: fleet.expected.size,
      open: fleet.expected.size,
      resolved: 0,
      skipped: 0,
    });
    expect(first.store.stats.itemsWritten).toBe(fleet.expected.size);
    const items = await tableItems();
    expect(items).toHaveLength(fleet.expected.size);
    expect(items.every((i) => i.state === 'OPEN' && i.runsSeen === 1 && i.lastNotifiedAt === i.firstSeenAt)).toBe(true);

    const second = await scan();
    expect(second.findings).toEqual([]);
    expect(second.summary).toMatchObject({
      opened: 0,
      changed: 0,
      reminded: 0,
      resolved: 0,
      open: fleet.expected.size,
    });
    expect(second.store.stats.itemsWritten).toBe(0);
    expect(second.events.map((e) => e.type)).toEqual([DETAIL_TYPES.summary]);
  });

  it('says RESOLVED, with how long it was open, when a snapshot is gone from a complete scan', async () => {
    await scan();
    const [gone, ...rest] = snapshots().filter((s) => fleet.expected.get(s.id) === 'ERROR_STATUS');
    emulator.store.load({ projectId: project(), snapshots: snapshots().filter((s) => s.id !== gone?.id) });
    const later = fleet.now + 3 * HOUR;
    const { findings, summary } = await scan({ at: later });
    const resolved = findings.filter((f) => f.transition === 'RESOLVED');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({
      findingId: findingIdOf(project(), gone?.id as string),
      openForMinutes: 180,
      findingType: 'ERROR_STATUS',
      firstSeenAt: new Date(fleet.now).toISOString(),
    });
    // Three hours on, some snapshots have newly crossed a threshold: those open, nothing else is said.
    const newlyFlagged = [...flaggedAt(later)].filter(([id]) => !fleet.expected.has(id));
    expect(
      findings
        .filter((f) => f.transition !== 'RESOLVED')
        .map((f) => [f.snapshot.id, f.transition])
        .sort(),
    ).toEqual(newlyFlagged.map(([id]) => [id, 'OPENED']).sort());
    expect(summary).toMatchObject({
      resolved: 1,
      opened: newlyFlagged.length,
      open: fleet.expected.size - 1 + newlyFlagged.length,
    });
    const item = (await tableItems()).find((i) => i.snapshotId === gone?.id);
    expect(item).toMatchObject({ state: 'RESOLVED', resolvedAt: new Date(later).toISOString() });
    expect(item?.expiresAt).toBe(Math.ceil((later + 30 * 86_400_000) / 1000));
    expect(rest.length).toBeGreaterThan(0);
  });

  it('resolves nothing after an incomplete scan', async () => {
    await scan();
    // Only the first page answers: a scan that cannot see the rest must not call the rest resolved.
    fault = (r) =>
      r.query.get('marker') ? { status: 500, body: '{"computeFault": {"code": 500, "message": "x"}}' } : undefined;
    const { findings, summary } = await scan({ at: fleet.now + HOUR, env: { SCAN_PAGE_SIZE: '100' } });
    expect(summary).toMatchObject({ complete: false, failureCode: 'UPSTREAM_ERROR', resolved: 0 });
    expect(findings.filter((f) => f.transition === 'RESOLVED')).toEqual([]);
    expect((await tableItems()).every((i) => i.state === 'OPEN')).toBe(true);
  });

  it('announces an OPENED again on the next run when PutEvents refused it, with the same transitionId', async () => {
    const refused = await scan({
      bus: {
        failEntry: (e) =>
          e.DetailType === DETAIL_TYPES.finding
            ? { ErrorCode: 'AccessDeniedException', ErrorMessage: 'denied' }
            : undefined,
      },
    });
    expect(refused.result.ok).toBe(false);
    expect(refused.findings).toEqual([]);
    // Nothing was announced, so nothing is open in the table: no finding can be stuck "open but never told".
    expect(await tableItems()).toEqual([]);
    expect(refused.summary).toMatchObject({ opened: 0 });
    const again = await scan();
    expect(again.findings.map((f) => f.transition)).toEqual(Array(fleet.expected.size).fill('OPENED'));
    expect(again.summary).toMatchObject({ opened: fleet.expected.size });
  });

  it('keeps the transitionId of an OPENED whose state write was lost, so subscribers can de-duplicate the re-send', async () => {
    // The table takes every call but BatchWriteItem: the run announces, then cannot record what it announced.
    const lossy = await startDynamoProxy(dynamo.url, (operation) =>
      operation === 'BatchWriteItem' ? { status: 400, type: 'AccessDeniedException', message: 'lost' } : undefined,
    );
    const direct = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = lossy.url;
    let first: Awaited<ReturnType<typeof scan>>;
    try {
      first = await scan();
    } finally {
      process.env.AWS_ENDPOINT_URL_DYNAMODB = direct;
      await lossy.close();
    }
    expect(first.summary).toMatchObject({ complete: false, failureCode: 'STATE_UNAVAILABLE' });
    expect(first.findings).toHaveLength(fleet.expected.size);
    const ids = new Map(first.findings.map((f) => [f.findingId, f.transitionId]));
    const again = await scan();
    expect(again.findings.map((f) => f.transition)).toEqual(Array(fleet.expected.size).fill('OPENED'));
    expect(new Map(again.findings.map((f) => [f.findingId, f.transitionId]))).toEqual(ids);
    // Recorded now, so a third run says nothing.
    expect((await scan()).findings).toEqual([]);
  });

  it('announces a new episode under new transitionIds after the table lost its items', async () => {
    const first = await scan();
    const before = new Set(first.findings.map((f) => f.transitionId));
    dynamo = await startStateTable();
    const again = await scan({ at: fleet.now + HOUR });
    const reopened = again.findings.filter((f) => first.findings.some((g) => g.findingId === f.findingId));
    expect(reopened.map((f) => f.transition)).toEqual(Array(fleet.expected.size).fill('OPENED'));
    expect(reopened.filter((f) => before.has(f.transitionId))).toEqual([]);
  });

  it('gives a finding that comes back after its resolved item expired a new OPENED transitionId', async () => {
    const first = await scan();
    const back = snapshots().find((s) => fleet.expected.get(s.id) === 'ERROR_STATUS') as Snapshot;
    const findingId = findingIdOf(project(), back.id);
    const opened = first.findings.find((f) => f.findingId === findingId);
    emulator.store.load({ projectId: project(), snapshots: snapshots().filter((s) => s.id !== back.id) });
    expect(
      (await scan({ at: fleet.now + HOUR })).findings.filter((f) => f.findingId === findingId).map((f) => f.transition),
    ).toEqual(['RESOLVED']);
    // What DynamoDB's TTL does to the resolved item after the retention period.
    await DynamoDBDocumentClient.from(dynamo.client).send(
      new DeleteCommand({ TableName: dynamo.table, Key: { projectId: project(), findingId } }),
    );
    emulator.store.load(fleet.projects[0] as never);
    const again = (await scan({ at: fleet.now + 2 * HOUR })).findings.find((f) => f.findingId === findingId);
    expect(again).toMatchObject({ transition: 'OPENED' });
    expect(again?.transitionId).not.toBe(opened?.transitionId);
  });

  it('reminds after REMIND_AFTER_HOURS, once, and not again until the interval passes anew', async () => {
    await scan();
    const remindAt = fleet.now + 25 * HOUR;
    const remind = await scan({ at: remindAt, env: { REMIND_AFTER_HOURS: '24' } });
    const reminded = remind.findings.filter((f) => f.transition === 'REMINDER');
    // Every announced finding whose problem is unchanged a day later gets one reminder.
    const stillSame = [...fleet.expected]
      .filter(([id, type]) => flaggedAt(remindAt).get(id) === type)
      .map(([id]) => id);
    expect(reminded.map((f) => f.snapshot.id).sort()).toEqual(stillSame.sort());
    expect(remind.summary).toMatchObject({ reminded: stillSame.length });
    const quiet = await scan({ at: fleet.now + 26 * HOUR, env: { REMIND_AFTER_HOURS: '24' } });
    expect(quiet.findings.filter((f) => f.transition === 'REMINDER')).toEqual([]);
    const items = await tableItems();
    const item = items.find((i) => i.snapshotId === stillSame[0]);
    expect(item).toMatchObject({
      runsSeen: 2,
      lastNotifiedAt: new Date(remindAt).toISOString(),
      firstSeenAt: new Date(fleet.now).toISOString(),
    });
    const never = await scan({ at: fleet.now + 500 * HOUR, env: { REMIND_AFTER_HOURS: '0' } });
    expect(never.findings.filter((f) => f.transition === 'REMINDER')).toEqual([]);
  });

  it('reports a snapshot whose problem changed type as CHANGED, naming what it was', async () => {
    await scan();
    const stuck = snapshots().find((s) => fleet.expected.get(s.id) === 'STUCK') as Snapshot;
    emulator.store.load({
      projectId: project(),
      snapshots: snapshots().map((s) => (s.id === stuck.id ? { ...s, status: 'error' } : s)),
    });
    const { findings, summary } = await scan();
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      transition: 'CHANGED',
      findingType: 'ERROR_STATUS',
      severity: 'high',
      previous: { findingType: 'STUCK', severity: 'medium' },
    });
    expect(summary).toMatchObject({ changed: 1 });
    expect((await tableItems()).find((i) => i.snapshotId === stuck.id)).toMatchObject({
      findingType: 'ERROR_STATUS',
      severity: 'high',
      state: 'OPEN',
    });
  });

  it('stays quiet about a suppressed finding until its suppression ends, then reminds', async () => {
    await scan();
    const target = snapshots().find((s) => fleet.expected.get(s.id) === 'ERROR_STATUS') as Snapshot;
    const store = createFindingsStore({ tableName: dynamo.table });
    const until = new Date(fleet.now + 48 * HOUR).toISOString();
    expect(
      await store.suppress(
        project(),
        findingIdOf(project(), target.id),
        { until, reason: 'known', by: 'arn:aws:iam::1:user/ops', at: new Date(fleet.now).toISOString() },
        Date.now() + 5_000,
      ),
    ).toBe(true);
    const during = await scan({ at: fleet.now + 30 * HOUR });
    expect(during.findings.map((f) => f.snapshot.id)).not.toContain(target.id);
    expect(during.summary).toMatchObject({ suppressed: 1 });
    const after = await scan({ at: fleet.now + 49 * HOUR, env: { REMIND_AFTER_HOURS: '0' } });
    expect(after.findings.filter((f) => f.snapshot.id === target.id).map((f) => f.transition)).toEqual(['REMINDER']);
    expect(after.findings.filter((f) => f.transition === 'REMINDER')).toHaveLength(1);
    expect((await tableItems()).find((i) => i.snapshotId === target.id)).toMatchObject({ state: 'OPEN' });
  });

  it('lets only one of two overlapping scans of a project run; the other reports it as skipped', async () => {
    latency = 400;
    const bus = await startLocalEventBridge();
    buses.push(bus);
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.url;
    const settings = loadScanSettings({
      EVS_ENDPOINT: emulator.url,
      EVS_AUTH: 'noauth',
      SCAN_PROJECT_IDS: project(),
      FINDINGS_TABLE: dynamo.table,
      EVENT_RETRY_BASE_MS: '1',
    });
    const scanner = () =>
      buildScanner(settings, {
        store: createFindingsStore({ tableName: dynamo.table }),
        now: () => fleet.now,
        eventBridge: createEventBridgeClient(2_000),
      })(Date.now() + 60_000);
    const results = await Promise.all([scanner(), scanner()]);
    const [skipped, ran] = [
      results.filter((r) => r.projects[0]?.skipped),
      results.filter((r) => !r.projects[0]?.skipped),
    ];
    expect(skipped).toHaveLength(1);
    expect(ran).toHaveLength(1);
    expect(skipped[0]?.ok).toBe(false);
    const events = bus.received.map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail) }));
    const ofSkipped = events.filter((e) => e.detail.scanId === skipped[0]?.scanId);
    expect(ofSkipped.map((e) => [e.type, e.detail.skipped])).toEqual([[DETAIL_TYPES.summary, 1]]);
    // Every finding announced once, by the run that held the lease.
    const findings = events.filter((e) => e.type === DETAIL_TYPES.finding);
    expect(findings).toHaveLength(fleet.expected.size);
    expect(new Set(findings.map((e) => e.detail.scanId))).toEqual(new Set([ran[0]?.scanId]));
  });

  it('fails the project as STATE_UNAVAILABLE, announcing nothing, when the table cannot be reached', async () => {
    await dynamo.close();
    const { findings, summary, events } = await scan({ env: { SCAN_RESERVE_MS: '55000' } });
    expect(findings).toEqual([]);
    expect(summary).toMatchObject({ complete: false, failureCode: 'STATE_UNAVAILABLE' });
    expect(events.find((e) => e.type === DETAIL_TYPES.failed)?.detail.failureCode).toBe('STATE_UNAVAILABLE');
    dynamo = await startStateTable();
  });

  it('--dry-run reads the table and prints the transitions it would make, writing nothing', async () => {
    await scan();
    const gone = snapshots().find((s) => fleet.expected.has(s.id)) as Snapshot;
    emulator.store.load({ projectId: project(), snapshots: snapshots().filter((s) => s.id !== gone.id) });
    const before = await tableItems();
    const dry = await scan({ dryRun: true });
    expect(dry.findings.map((f) => [f.snapshot.id, f.transition])).toEqual([[gone.id, 'RESOLVED']]);
    expect(dry.store.stats.writeCalls).toBe(0);
    expect(await tableItems()).toEqual(before);
  });
});
