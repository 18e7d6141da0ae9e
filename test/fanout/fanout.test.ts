/**
 * The fan-out over real transports: three emulators as three regions with 60 projects, a
 * targets file, the dispatcher sending through the real SQS client to a local FIFO queue, and
 * the queue invoking the worker through the Lambda Invoke API over HTTP. Findings state in
 * dynalite, events on a local EventBridge.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatchScansHandler, dispatchScansDepsFromEnv } from '../../functions/dispatch-scans';
import { createScanWorkerHandler, scanWorkerDepsFromEnv } from '../../functions/scan-worker';
import type { DispatchResult } from '../../lib/fanout/dispatch';
import { createLogger } from '../../lib/observability/log';
import { generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { invokeOverHttp, startLocalLambda } from '../../tools/local/lambda';
import { lambdaContext } from '../../tools/local/loopback';
import { type LocalFifoQueue, startLocalFifoQueue } from '../../tools/local/sqs';
import { startStateTable } from '../helpers/state';

const silent = () => createLogger({}, () => undefined, 'silent');
const CYCLE_MS = 15 * 60_000;

interface Region {
  emulator: RunningEmulator;
  projects: string[];
  /** First-page requests per project: each is one scan of that project. */
  scans: Map<string, number>;
}

async function startRegion(seed: string, region: string): Promise<Region> {
  const fleet = generateFleet({ seed, size: 20 * 35, projects: 20 });
  const scans = new Map<string, number>();
  const emulator = await startEmulator({
    projects: fleet.projects,
    auth: { mode: 'noauth' },
    region,
    // Slow enough that scans overlap, so the caps are really exercised.
    latencyMs: () => 15,
    fault: (r) => {
      if (!r.query.get('marker')) scans.set(r.projectId, (scans.get(r.projectId) ?? 0) + 1);
      return undefined;
    },
  });
  return { emulator, projects: fleet.projects.map((p) => p.projectId), scans };
}

let euDe: Region;
let euNl: Region;
let downProjects: string[];
let bus: LocalEventBridge;
let queue: LocalFifoQueue;
let lambda: Awaited<ReturnType<typeof startLocalLambda>>;
let dir: string;
let dynamo: Awaited<ReturnType<typeof startStateTable>>;
const clock = { t: Date.UTC(2026, 11, 2, 12, 0, 0) };
let dispatch: (time: number) => Promise<DispatchResult>;

beforeAll(async () => {
  [euDe, euNl] = await Promise.all([startRegion('fan-a', 'eu-de'), startRegion('fan-b', 'eu-nl')]);
  downProjects = generateFleet({ seed: 'fan-c', size: 20, projects: 20 }).projects.map((p) => p.projectId);
  // The third region's endpoint is down: a port that was just closed.
  const gone = await startEmulator({ projects: [] });
  const downUrl = gone.url;
  await gone.close();
  dynamo = await startStateTable();
  bus = await startLocalEventBridge();
  dir = mkdtempSync(join(tmpdir(), 'targets-'));
  const targetsFile = join(dir, 'targets.yml');
  writeFileSync(
    targetsFile,
    [
      'targets:',
      '  - name: eu-de',
      `    endpoint: ${euDe.emulator.url}`,
      '    region: eu-de',
      '    auth: { mode: noauth }',
      `    projects: [${euDe.projects.join(', ')}]`,
      '    concurrency: 2',
      '  - name: eu-nl',
      `    endpoint: ${euNl.emulator.url}`,
      '    region: eu-nl',
      '    auth: { mode: noauth }',
      '    discover: { regionPattern: "^eu-nl$" }',
      `    identityEndpoint: ${euNl.emulator.url}`,
      '    concurrency: 3',
      '  - name: down',
      `    endpoint: ${downUrl}`,
      '    region: ap-southeast-9',
      '    auth: { mode: noauth }',
      `    projects: [${downProjects.join(', ')}]`,
      '    concurrency: 2',
      '',
    ].join('\n'),
  );
  Object.assign(process.env, { AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url });
  const env = {
    SCAN_TARGETS_FILE: targetsFile,
    FINDINGS_TABLE: dynamo.table,
    EVENT_BUS_NAME: 'fanout-test',
    SCAN_PAGE_SIZE: '10',
    EVS_TIMEOUT_MS: '1000',
    EVS_MAX_ATTEMPTS: '1',
    SCAN_RESERVE_MS: '500',
    SCAN_CYCLE_MINUTES: '15',
    EVENT_RETRY_BASE_MS: '1',
  };
  const worker = createScanWorkerHandler(scanWorkerDepsFromEnv(env, silent(), { now: () => clock.t }));
  lambda = await startLocalLambda({ scanWorker: worker as never });
  queue = await startLocalFifoQueue({
    deliver: invokeOverHttp(lambda.invokeUrl('scanWorker')),
    maxConcurrency: 20,
    visibilityMs: 50,
  });
  const sqs = new SQSClient({
    endpoint: queue.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const handler = createDispatchScansHandler(
    dispatchScansDepsFromEnv({ ...env, SCAN_QUEUE_URL: queue.queueUrl }, silent(), { sqs, now: () => clock.t }),
  ) as unknown as (e: unknown, c: Context) => Promise<DispatchResult>;
  dispatch = async (time) => {
    clock.t = time;
    const result = await handler(
      { source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date(time).toISOString() },
      lambdaContext(60_000),
    );
    await queue.drained();
    return result;
  };
}, 60_000);

afterAll(async () => {
  await Promise.all([
    euDe.emulator.close(),
    euNl.emulator.close(),
    bus.close(),
    queue.close(),
    lambda.close(),
    dynamo.close(),
  ]);
  rmSync(dir, { recursive: true, force: true });
});

const details = (detailType: string, since: number) =>
  bus.received
    .slice(since)
    .filter((e) => e.DetailType === detailType)
    .map((e) => JSON.parse(e.Detail));
const countBy = (values: string[]) => values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<string, number>());

describe('fan-out: dispatcher, FIFO queue, workers', () => {
  it('scans every project of every target exactly once per cycle, one worker invocation each, within each target cap; the down target fails only its own projects', async () => {
    const before = bus.received.length;
    const result = await dispatch(clock.t);
    expect(result).toMatchObject({ dispatched: 60, undelivered: [], discoveryFailures: 0, overdue: [] });
    expect(lambda.invocations.get('scanWorker')).toBe(60);
    // Once each: one listing from the first page on, per project of the two live regions.
    for (const region of [euDe, euNl]) {
      expect([...region.scans.keys()].sort()).toEqual([...region.projects].sort());
      expect(new Set(region.scans.values())).toEqual(new Set([1]));
    }
    // The per-target cap, counted by the emulators themselves; and it was reached.
    expect(euDe.emulator.maxInFlight).toBe(2);
    expect(euNl.emulator.maxInFlight).toBe(3);
    const summaries = details('EVS Snapshot Scan Summary', before);
    expect(summaries).toHaveLength(60);
    expect(countBy(summaries.map((s) => `${s.target}/${s.projectId}`)).size).toBe(60);
    const complete = summaries.filter((s) => s.complete);
    expect(countBy(complete.map((s) => s.target))).toEqual(
      new Map([
        ['eu-de', 20],
        ['eu-nl', 20],
      ]),
    );
    expect(complete.every((s) => s.region === s.target)).toBe(true);
    const failed = details('EVS Snapshot Scan Failed', before);
    expect(failed.map((f) => f.target)).toEqual(new Array(20).fill('down'));
    expect(new Set(failed.map((f) => f.failureCode))).toEqual(new Set(['UPSTREAM_UNAVAILABLE']));
    expect(failed.map((f) => f.projectId).sort()).toEqual([...downProjects].sort());
    // Findings name the target and the region too.
    const findings = details('EVS Snapshot Finding', before);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => (f.target === 'eu-de' || f.target === 'eu-nl') && f.region === f.target)).toBe(true);
  });

  it('drops a retried dispatch of the same cycle, and skips copies of its work items that SQS delivers again: no listing, no events', async () => {
    const before = bus.received.length;
    const invoked = lambda.invocations.get('scanWorker') ?? 0;
    // Lambda retrying the dispatcher: same schedule time, same deduplication ids, nothing delivered.
    await dispatch(clock.t);
    expect(lambda.invocations.get('scanWorker')).toBe(invoked);
    // Past the deduplication window the copies do reach the workers, which find their cycle done.
    queue.forgetDeduplication();
    await dispatch(clock.t);
    expect(lambda.invocations.get('scanWorker')).toBe(invoked + 60);
    expect(bus.received.length).toBe(before);
    for (const region of [euDe, euNl]) expect(new Set(region.scans.values())).toEqual(new Set([1]));
  });

  it('scans each project once again in the next cycle', async () => {
    const before = bus.received.length;
    await dispatch(clock.t + CYCLE_MS);
    for (const region of [euDe, euNl]) expect(new Set(region.scans.values())).toEqual(new Set([2]));
    expect(details('EVS Snapshot Scan Summary', before)).toHaveLength(60);
    expect(euDe.emulator.maxInFlight).toBe(2);
  });

  it('refuses a work message naming a project, target or region the configuration does not scan: no listing, no events, and it ends in the dead-letter queue', async () => {
    const before = bus.received.length;
    const scansBefore = [euDe, euNl].map((r) => new Map(r.scans));
    const deadBefore = queue.deadLetters.length;
    const sqs = new SQSClient({
      endpoint: queue.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const cycleId = new Date(clock.t + 7 * CYCLE_MS).toISOString();
    const forged = [
      // A project of eu-nl, named as eu-de's (SCAN_PROJECT_IDS of eu-de does not list it).
      { target: 'eu-de', region: 'eu-de', projectId: euNl.projects[0] },
      // An id nobody configured or discovered.
      { target: 'eu-de', region: 'eu-de', projectId: 'ffffffffffffffffffffffffffffffff' },
      // eu-de's own project, in another region.
      { target: 'eu-de', region: 'eu-nl', projectId: euDe.projects[0] },
      // A discovering target, with a project it does not discover.
      { target: 'eu-nl', region: 'eu-nl', projectId: euDe.projects[1] },
      // A target that does not exist.
      { target: 'nowhere', region: 'eu-de', projectId: euDe.projects[2] },
    ];
    for (const [i, item] of forged.entries()) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queue.queueUrl,
          MessageBody: JSON.stringify({ version: 1, cycleId, dispatchedAt: cycleId, ...item }),
          MessageGroupId: `forged-${i}`,
          MessageDeduplicationId: `forged-${i}`,
        }),
      );
    }
    await queue.drained();
    expect(queue.deadLetters.length - deadBefore).toBe(forged.length);
    expect(bus.received.length).toBe(before);
    expect([euDe, euNl].map((r) => new Map(r.scans))).toEqual(scansBefore);
  });

  it('reports NOT_SCANNED for projects not scanned completely for two cycles, once: the down target now, and everyone when no worker runs', async () => {
    // Third cycle: the down target's projects have had no complete scan since they were first dispatched, two cycles ago.
    let before = bus.received.length;
    const third = await dispatch(clock.t + CYCLE_MS);
    expect(third.overdue.map((o) => o.target)).toEqual(new Array(20).fill('down'));
    const notScanned = details('EVS Snapshot Scan Failed', before).filter((f) => f.failureCode === 'NOT_SCANNED');
    expect(notScanned.map((f) => f.projectId).sort()).toEqual([...downProjects].sort());
    expect(notScanned[0]?.message).toMatch(/never, first dispatched 2026-12-02T12:00:00.000Z/);

    // From now on no worker runs at all (the queue holds everything): two cycles later every project is overdue, the down ones are not repeated.
    queue.pause();
    expect((await handlerWithoutDrain(clock.t + CYCLE_MS)).overdue).toEqual([]);
    before = bus.received.length;
    const fifth = await handlerWithoutDrain(clock.t + CYCLE_MS);
    expect(fifth.overdue.map((o) => o.target).sort()).toEqual([
      ...new Array(20).fill('eu-de'),
      ...new Array(20).fill('eu-nl'),
    ]);
    const late = details('EVS Snapshot Scan Failed', before);
    expect(late.filter((f) => f.failureCode === 'NOT_SCANNED')).toHaveLength(40);
    expect(late[0]?.message).toMatch(/last complete scan 2026-12-02T12:30:00.000Z/);
  });
});

/** A dispatch while the queue is paused: nothing to wait for. */
async function handlerWithoutDrain(time: number): Promise<DispatchResult> {
  const drained = queue.drained;
  queue.drained = () => Promise.resolve();
  try {
    return await dispatch(time);
  } finally {
    queue.drained = drained;
  }
}
