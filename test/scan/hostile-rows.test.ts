import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { DETAIL_TYPES, findingIdOf } from '../../lib/events/contract';
import { createFindingsStore } from '../../lib/state/dynamo/findings-table';
import { StateUnavailableError } from '../../lib/state/errors';
import type { FindingItem } from '../../lib/state/records';
import { buildScanner, createEventBridgeClient } from '../../lib/wiring/scanner';
import { loadScanSettings } from '../../lib/wiring/settings/scanner';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { schemaErrors } from '../helpers/schemas';
import { startStateTable } from '../helpers/state';

let fleet: Fleet;
let emulator: RunningEmulator;
let dynamo: Awaited<ReturnType<typeof startStateTable>>;
const buses: LocalEventBridge[] = [];

beforeAll(async () => {
  fleet = generateFleet({ seed: 'hostile-rows', size: 1_500, projects: 1, now: Date.now() });
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } });
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  dynamo = await startStateTable();
});
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
  await dynamo.close();
});

const project = () => fleet.projects[0]?.projectId as string;
const snapshots = () => fleet.projects[0]?.snapshots as Snapshot[];

async function scan() {
  const bus = await startLocalEventBridge();
  buses.push(bus);
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.url;
  const settings = loadScanSettings({
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    SCAN_PROJECT_IDS: project(),
    FINDINGS_TABLE: dynamo.table,
    SCAN_RESERVE_MS: '300',
    EVENT_RETRY_BASE_MS: '1',
  });
  const result = await buildScanner(settings, {
    store: createFindingsStore({ tableName: dynamo.table }),
    now: () => fleet.now,
    eventBridge: createEventBridgeClient(2_000),
  })(Date.now() + 60_000);
  const events = bus.received.map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail) }));
  for (const e of events) expect(schemaErrors(e.type, e.detail)).toEqual([]);
  return {
    result,
    findings: events.filter((e) => e.type === DETAIL_TYPES.finding).map((e) => e.detail),
    summary: events.find((e) => e.type === DETAIL_TYPES.summary)?.detail,
  };
}

describe('hostile numbers in a snapshot listing', () => {
  it.each([1e308, 1e200, -5, 2.5, '12'])(
    'a row of size %s is reported as malformed and the project works on: complete, and a second run announces nothing',
    async (size) => {
      // A snapshot in error, so judged it would be a finding in a batch with 24 others.
      const bad = { ...(snapshots().find((s) => s.status === 'error') as Snapshot), size } as unknown as Snapshot;
      emulator.store.load({ projectId: project(), snapshots: snapshots().map((s) => (s.id === bad.id ? bad : s)) });
      try {
        const first = await scan();
        expect(first.summary).toMatchObject({ complete: true, malformedRows: 1, snapshotsRead: snapshots().length });
        expect(first.result.ok).toBe(true);
        expect(first.findings.map((f) => f.snapshot.id).sort()).toEqual(
          [...fleet.expected.keys()].filter((id) => id !== bad.id).sort(),
        );
        const totals = JSON.stringify(first.summary);
        expect(totals).not.toMatch(/Infinity|e\+/);
        const second = await scan();
        expect(second.findings).toEqual([]);
        expect(second.summary).toMatchObject({ complete: true, malformedRows: 1, opened: 0, resolved: 0 });
      } finally {
        emulator.store.load(fleet.projects[0] as never);
      }
    },
  );

  it('keeps, rather than resolves, the open finding of a snapshot whose row turned malformed', async () => {
    await scan();
    const target = snapshots().find((s) => fleet.expected.get(s.id) === 'ERROR_STATUS') as Snapshot;
    emulator.store.load({
      projectId: project(),
      snapshots: snapshots().map((s) => (s.id === target.id ? { ...s, size: 1e308 } : s)),
    });
    try {
      const again = await scan();
      expect(again.summary).toMatchObject({ complete: true, malformedRows: 1, resolved: 0 });
      expect(again.findings).toEqual([]);
    } finally {
      emulator.store.load(fleet.projects[0] as never);
    }
  });

  it('one item DynamoDB cannot store fails alone: the other 24 of its batch are written', async () => {
    const store = createFindingsStore({ tableName: dynamo.table });
    const at = new Date(fleet.now).toISOString();
    const items: FindingItem[] = snapshots()
      .slice(0, 25)
      .map((s, i) => ({
        projectId: project(),
        findingId: findingIdOf(project(), s.id),
        snapshotId: s.id,
        findingType: 'STALE',
        severity: 'low',
        state: 'OPEN',
        snapshot: {
          id: s.id,
          name: s.name,
          status: s.status,
          volume_id: s.volume_id,
          size: i === 7 ? 1e308 : s.size,
          created_at: s.created_at,
          updated_at: s.updated_at,
        },
        reason: 'r',
        firstSeenAt: at,
        lastSeenAt: at,
        lastNotifiedAt: at,
        runsSeen: 1,
      }));
    const error = await store.putItems(items, Date.now() + 10_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateUnavailableError);
    expect((error as Error).message).toContain('refused 1 item');
    const out = await DynamoDBDocumentClient.from(dynamo.client).send(new ScanCommand({ TableName: dynamo.table }));
    expect((out.Items ?? []).map((i) => i.snapshotId).sort()).toEqual(
      items
        .filter((_, i) => i !== 7)
        .map((i) => i.snapshotId)
        .sort(),
    );
  });
});
