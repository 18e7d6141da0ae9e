import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../lib/events/contract';
import { buildScanner } from '../../lib/wiring/scanner';
import { loadScanSettings } from '../../lib/wiring/settings/scanner';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import {
  type FaultResponse,
  type ListRequestInfo,
  type RunningEmulator,
  startEmulator,
} from '../../tools/emulator/server';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { schemaErrors } from '../helpers/schemas';

let fleet: Fleet;
let emulator: RunningEmulator;
let fault: ((r: ListRequestInfo) => FaultResponse | undefined) | undefined;
let latency = 0;
const buses: LocalEventBridge[] = [];

beforeAll(async () => {
  fleet = generateFleet({ seed: 'scan', size: 12_000, projects: 4 });
  emulator = await startEmulator({
    projects: fleet.projects,
    auth: { mode: 'noauth' },
    fault: (r) => fault?.(r),
    latencyMs: () => latency,
  });
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
});
afterAll(() => emulator.close());
afterEach(async () => {
  fault = undefined;
  latency = 0;
  delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

async function scanOnce(
  env: Record<string, string> = {},
  bus?: Parameters<typeof startLocalEventBridge>[0],
  deadlineMs = 60_000,
) {
  const local = await startLocalEventBridge(bus);
  buses.push(local);
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = local.url;
  const config = loadScanSettings({
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    EVS_REGION: 'eu-de',
    EVS_RETRY_BASE_MS: '1',
    EVS_RETRY_MAX_MS: '5',
    SCAN_PROJECT_IDS: fleet.projects.map((p) => p.projectId).join(','),
    EVENT_BUS_NAME: 'sentinel',
    SCAN_RESERVE_MS: '200',
    EVENT_RETRY_BASE_MS: '1',
    EVENT_RETRY_MAX_MS: '10',
    ...env,
  });
  const scan = buildScanner(config, { eventBridge: new EventBridgeClient({}), now: () => fleet.now });
  const result = await scan(Date.now() + deadlineMs);
  const events = local.received.map((e) => ({
    type: e.DetailType,
    detail: JSON.parse(e.Detail),
    resources: e.Resources,
  }));
  return { result, events, bus: local };
}

const findingsOf = (events: Array<{ type: string; detail: any }>) =>
  events.filter((e) => e.type === DETAIL_TYPES.finding).map((e) => e.detail);

describe('a scan of a seeded emulator fleet', () => {
  it('emits exactly the findings the fleet generator says it should, each valid against its schema', async () => {
    const { result, events } = await scanOnce();
    expect(result.ok).toBe(true);
    const found = new Map(findingsOf(events).map((d) => [d.snapshot.id as string, d.findingType as string]));
    expect(findingsOf(events)).toHaveLength(found.size);
    expect(found).toEqual(fleet.expected);
    for (const e of events) expect(schemaErrors(e.type, e.detail), e.type).toEqual([]);
    const finding = findingsOf(events)[0];
    expect(events.find((e) => e.detail === finding)?.resources).toEqual([
      `evs:eu-de:${finding.projectId}:snapshot/${finding.snapshot.id}`,
    ]);

    const summaries = events.filter((e) => e.type === DETAIL_TYPES.summary).map((e) => e.detail);
    expect(summaries.map((s) => s.projectId).sort()).toEqual(fleet.projects.map((p) => p.projectId).sort());
    for (const s of summaries) {
      const project = fleet.projects.find((p) => p.projectId === s.projectId);
      expect(s.complete).toBe(true);
      expect(s.snapshotsRead).toBe(project?.snapshots.length);
      expect(s.pagesRead).toBe(3);
      expect(Object.values(s.countsByStatus as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(3_000);
    }
    expect(events.some((e) => e.type === DETAIL_TYPES.failed)).toBe(false);
  });

  it('gives every finding the same findingId on a second run, and a new scanId', async () => {
    const first = await scanOnce();
    const second = await scanOnce();
    const ids = (r: typeof first) =>
      findingsOf(r.events)
        .map((d) => d.findingId)
        .sort();
    expect(ids(second)).toEqual(ids(first));
    expect(new Set(ids(first)).size).toBe(fleet.expected.size);
    expect(first.result.scanId).not.toBe(second.result.scanId);
  });

  it('delivers every finding exactly once when the bus throttles some entries', async () => {
    const seen = new Set<string>();
    const { result, events } = await scanOnce(
      {},
      {
        failEntry: (entry) => {
          const key = entry.Detail;
          if (!seen.has(key) && key.length % 4 === 0) {
            seen.add(key);
            return { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' };
          }
          return undefined;
        },
      },
    );
    expect(seen.size).toBeGreaterThan(100);
    expect(result.ok).toBe(true);
    const ids = findingsOf(events).map((d) => d.findingId);
    expect(ids.length).toBe(fleet.expected.size);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('reports an upstream failure mid-scan as Scan Failed, with an incomplete summary, and finishes the other projects', async () => {
    const broken = fleet.projects[1]?.projectId as string;
    fault = (r) =>
      r.projectId === broken && r.query.has('marker')
        ? {
            status: 503,
            body: '{"serviceUnavailable": {"message": "down", "code": 503}}',
            headers: { 'X-Request-Id': 'a0e5ba1d1ba2bc4f2d0a8f9b7c3e4d5f' },
          }
        : undefined;
    const { result, events } = await scanOnce();
    expect(result.ok).toBe(false);
    const failed = events.filter((e) => e.type === DETAIL_TYPES.failed).map((e) => e.detail);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      projectId: broken,
      failureCode: 'UPSTREAM_ERROR',
      upstreamStatus: 503,
      upstreamRequestId: 'a0e5ba1d1ba2bc4f2d0a8f9b7c3e4d5f',
      snapshotsRead: 1000,
      pagesRead: 1,
    });
    const summary = events.find((e) => e.type === DETAIL_TYPES.summary && e.detail.projectId === broken)?.detail;
    expect(summary).toMatchObject({ complete: false, failureCode: 'UPSTREAM_ERROR', snapshotsRead: 1000 });
    const others = events
      .filter((e) => e.type === DETAIL_TYPES.summary && e.detail.projectId !== broken)
      .map((e) => e.detail.complete);
    expect(others).toEqual([true, true, true]);
    for (const e of events) expect(schemaErrors(e.type, e.detail)).toEqual([]);
  });

  it('stops at once when the upstream refuses the credentials, and says so', async () => {
    fault = () => ({ status: 401, body: '{"error_code": "APIGW.0301", "error_msg": "bad"}' });
    const before = emulator.listRequests;
    const { events } = await scanOnce();
    const failed = events.filter((e) => e.type === DETAIL_TYPES.failed).map((e) => e.detail.failureCode);
    expect(failed).toEqual([
      'UPSTREAM_AUTH_FAILED',
      'UPSTREAM_AUTH_FAILED',
      'UPSTREAM_AUTH_FAILED',
      'UPSTREAM_AUTH_FAILED',
    ]);
    expect(emulator.listRequests - before).toBe(4);
  });

  it('stops before its deadline and names the projects it did not finish', async () => {
    latency = 200;
    const started = Date.now();
    const { result, events } = await scanOnce({ SCAN_CONCURRENCY: '1', SCAN_RESERVE_MS: '300' }, undefined, 2_500);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(result.ok).toBe(false);
    const complete = result.projects.map((p) => p.complete);
    // Projects run one after another: some finish, then the rest are reported, none silently missing.
    expect(complete[0]).toBe(true);
    expect(complete.at(-1)).toBe(false);
    expect(complete.indexOf(false)).toBe(complete.filter(Boolean).length);
    const failed = events.filter((e) => e.type === DETAIL_TYPES.failed).map((e) => e.detail);
    expect(failed.map((f) => f.projectId)).toEqual(result.projects.filter((p) => !p.complete).map((p) => p.projectId));
    expect(new Set(failed.map((f) => f.failureCode))).toEqual(new Set(['DEADLINE_REACHED']));
    expect(failed.at(-1)?.snapshotsRead).toBe(0);
  });
});
