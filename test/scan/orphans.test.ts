/**
 * Orphaned snapshots and size totals through the real scanner: the emulator lists volumes as
 * Cinder does, the scanner pages them with the snapshot pager's guards, and a volume listing
 * that fails never turns into "every snapshot is an orphan".
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { DETAIL_TYPES } from '../../lib/events/contract';
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
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { schemaErrors } from '../helpers/schemas';
import { startStateTable } from '../helpers/state';

let fleet: Fleet;
let emulator: RunningEmulator;
let volumeFault: ((r: ListRequestInfo) => FaultResponse | undefined) | undefined;
let dynamo: LocalDynamo & { table: string };
const buses: LocalEventBridge[] = [];

beforeAll(async () => {
  fleet = generateFleet({ seed: 'orphans', size: 2_500, projects: 1, now: Date.now() });
  // A page of 100: the volume listing takes several pages.
  emulator = await startEmulator({
    projects: fleet.projects,
    auth: { mode: 'noauth' },
    maxLimit: 100,
    volumeFault: (r) => volumeFault?.(r),
  });
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  dynamo = await startStateTable();
  const p = fleet.projects[0];
  if (p) {
    emulator.store.load(p);
    emulator.volumes.load(p);
  }
});
afterEach(async () => {
  volumeFault = undefined;
  await Promise.all(buses.splice(0).map((b) => b.close()));
  await dynamo.close();
});

const project = () => fleet.projects[0]?.projectId as string;
const snapshots = () => fleet.projects[0]?.snapshots as Snapshot[];
const expectedOf = (type: string) => [...fleet.expected].filter(([, t]) => t === type).map(([id]) => id);

async function scan(env: Record<string, string> = {}) {
  const bus = await startLocalEventBridge();
  buses.push(bus);
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.url;
  const settings = loadScanSettings({
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    EVS_RETRY_BASE_MS: '1',
    EVS_RETRY_MAX_MS: '5',
    SCAN_PROJECT_IDS: project(),
    FINDINGS_TABLE: dynamo.table,
    SCAN_PAGE_SIZE: '100',
    EVENT_RETRY_BASE_MS: '1',
    ...env,
  });
  const before = emulator.volumeRequests;
  const result = await buildScanner(settings, {
    store: createFindingsStore({ tableName: dynamo.table }),
    eventBridge: createEventBridgeClient(2_000),
  })(Date.now() + 60_000);
  const events = bus.received.map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail) }));
  for (const e of events) expect(schemaErrors(e.type, e.detail)).toEqual([]);
  return {
    result,
    volumeRequests: emulator.volumeRequests - before,
    findings: events.filter((e) => e.type === DETAIL_TYPES.finding).map((e) => e.detail),
    summary: events.find((e) => e.type === DETAIL_TYPES.summary)?.detail,
    failed: events.find((e) => e.type === DETAIL_TYPES.failed)?.detail,
  };
}

describe('orphaned snapshots', () => {
  it('flags exactly the available snapshots whose volume was deleted, having paged every volume', async () => {
    const orphans = expectedOf('ORPHANED');
    expect(orphans.length).toBeGreaterThan(10);
    const { findings, summary, volumeRequests } = await scan();
    expect(new Map(findings.map((f) => [f.snapshot.id, f.findingType]))).toEqual(fleet.expected);
    expect(
      findings
        .filter((f) => f.findingType === 'ORPHANED')
        .every((f) => f.rule === 'orphaned' && f.severity === 'medium' && f.reason.includes(f.snapshot.volume_id)),
    ).toBe(true);
    const volumes = fleet.projects[0]?.volumes?.length ?? 0;
    expect(summary).toMatchObject({ complete: true, volumesRead: volumes, undetermined: 0 });
    // Pages of 100, and Cinder's empty page after a full last one.
    expect(volumeRequests).toBe(Math.floor(volumes / 100) + 1);
  });

  it('carries GB totals by status and by finding type in the summary', async () => {
    const { summary } = await scan();
    const gbByStatus: Record<string, number> = {};
    for (const s of snapshots()) gbByStatus[s.status] = (gbByStatus[s.status] ?? 0) + s.size;
    const gbByFindingType: Record<string, number> = {};
    for (const s of snapshots()) {
      const type = fleet.expected.get(s.id);
      if (type) gbByFindingType[type] = (gbByFindingType[type] ?? 0) + s.size;
    }
    expect(summary.gbByStatus).toEqual(gbByStatus);
    expect(summary.gbByFindingType).toEqual(gbByFindingType);
    expect(Object.keys(summary.gbByFindingType).sort()).toEqual([
      'ERROR_STATUS',
      'ORPHANED',
      'STALE',
      'STUCK',
      'UNKNOWN_STATUS',
    ]);
  });

  it.each([
    [
      'answers 500',
      () => ({ status: 500, body: '{"computeFault": {"message": "boom", "code": 500}}' }),
      'UPSTREAM_ERROR',
    ],
    [
      'answers a body without a volume list',
      () => ({ status: 200, body: '{"volumes": null}' }),
      'UPSTREAM_BAD_RESPONSE',
    ],
    ['answers an empty object', () => ({ status: 200, body: '{}' }), 'UPSTREAM_BAD_RESPONSE'],
    [
      'repeats its first page forever',
      (r: ListRequestInfo) =>
        r.query.get('marker')
          ? {
              status: 200,
              body: JSON.stringify({
                volumes: [{ id: 'a' }, { id: 'b' }],
                volumes_links: [{ rel: 'next', href: 'http://x/v2/p/volumes?marker=b' }],
              }),
            }
          : undefined,
      'PAGINATION_LOOP',
    ],
  ])(
    'never calls every snapshot an orphan when the volume list %s: errors are still announced, the rest waits, nothing resolves',
    async (_label, fault, cause) => {
      const first = await scan();
      expect(first.findings.length).toBe(fleet.expected.size);
      // The next scan cannot list the volumes; meanwhile one snapshot in error is deleted and a
      // healthy one fails.
      const errorGone = expectedOf('ERROR_STATUS')[0];
      emulator.store.remove(project(), errorGone as string);
      const failing = snapshots().find((s) => s.status === 'creating' && !fleet.expected.has(s.id)) as Snapshot;
      emulator.store.resetStatus(project(), failing.id, 'error', new Date().toISOString().slice(0, 23));
      volumeFault = fault;
      const broken = await scan();
      expect(broken.findings.map((f) => [f.transition, f.findingType, f.snapshot.id])).toEqual([
        ['OPENED', 'ERROR_STATUS', failing.id],
      ]);
      const available = snapshots().filter((s) => s.status === 'available').length;
      expect(broken.summary).toMatchObject({
        complete: false,
        failureCode: 'VOLUMES_UNAVAILABLE',
        resolved: 0,
        undetermined: available,
        volumesRead: null,
      });
      expect(broken.failed).toMatchObject({
        failureCode: 'VOLUMES_UNAVAILABLE',
        message: expect.stringContaining(cause),
      });
      expect(broken.result.ok).toBe(false);

      // With the volumes back, the deleted snapshot's finding resolves and nothing else moves.
      volumeFault = undefined;
      const healed = await scan();
      expect(healed.findings.map((f) => [f.transition, f.snapshot.id])).toEqual([['RESOLVED', errorGone]]);
      expect(broken.summary.opened).toBe(1);
      expect(healed.summary).toMatchObject({ complete: true, undetermined: 0 });
    },
  );

  it('opens ORPHANED for the snapshots of a volume deleted between scans, CHANGED where they were STALE', async () => {
    await scan();
    const healthyVolumes = new Set(fleet.projects[0]?.volumes?.map((v) => v.id));
    const byVolume = new Map<string, Snapshot[]>();
    for (const s of snapshots())
      if (s.status === 'available' && healthyVolumes.has(s.volume_id))
        byVolume.set(s.volume_id, [...(byVolume.get(s.volume_id) ?? []), s]);
    // A volume with a stale snapshot and a healthy one.
    const [volumeId, its] =
      [...byVolume].find(
        ([, list]) =>
          list.some((s) => fleet.expected.get(s.id) === 'STALE') && list.some((s) => !fleet.expected.has(s.id)),
      ) ?? [];
    expect(volumeId).toBeDefined();
    const response = await fetch(`${emulator.url}/v2/${project()}/volumes/${volumeId}`, {
      method: 'DELETE',
      headers: { 'X-Auth-Token': `admin:${project()}` },
    });
    expect(response.status).toBe(202);
    const { findings } = await scan();
    const expected = (its ?? []).map((s) => [s.id, fleet.expected.get(s.id) === 'STALE' ? 'CHANGED' : 'OPENED']);
    expect(findings.map((f) => [f.snapshot.id, f.transition]).sort()).toEqual(expected.sort());
    expect(findings.every((f) => f.findingType === 'ORPHANED')).toBe(true);
    expect(findings.filter((f) => f.transition === 'CHANGED').every((f) => f.previous.findingType === 'STALE')).toBe(
      true,
    );
  });
});
