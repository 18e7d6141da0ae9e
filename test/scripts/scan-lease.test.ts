import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../lib/events/contract';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { startStateTable } from '../helpers/state';

let fleet: Fleet;
let emulator: RunningEmulator;
let dynamo: Awaited<ReturnType<typeof startStateTable>>;
let bus: LocalEventBridge;
let pageLatency = 0;
const children: ChildProcess[] = [];

beforeAll(async () => {
  fleet = generateFleet({ seed: 'lease', size: 3_000, projects: 1, now: Date.now() });
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' }, latencyMs: () => pageLatency });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  dynamo = await startStateTable();
  bus = await startLocalEventBridge();
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  pageLatency = 0;
  await bus.close();
  await dynamo.close();
});

const project = () => fleet.projects[0]?.projectId as string;

interface Run {
  child: ChildProcess;
  stderr: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** `npm run scan` against the emulator, dynalite and the local bus, as a child process. */
function startScan(env: Record<string, string> = {}): Run {
  // node itself, not the tsx wrapper: a SIGKILL must reach the process that holds the lease.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/scan.ts', '--timeout-seconds', '840'], {
    env: {
      PATH: process.env.PATH,
      EVS_ENDPOINT: emulator.url,
      EVS_AUTH: 'noauth',
      SCAN_PROJECT_IDS: project(),
      SCAN_PAGE_SIZE: '100',
      FINDINGS_TABLE: dynamo.table,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      LOG_LEVEL: 'silent',
      ...env,
    },
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (c) => (stderr += c));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, stderr: () => stderr, done };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a scan and SIGKILLs it once it has read a few pages (mid-listing, lease held). */
async function killMidListing(env: Record<string, string> = {}): Promise<void> {
  pageLatency = 300;
  const run = startScan(env);
  await until(() => /… \S+: \d+ snapshots in [3-9] pages/.test(run.stderr()), 60_000);
  run.child.kill('SIGKILL');
  expect((await run.done).signal).toBe('SIGKILL');
  pageLatency = 0;
}

const summariesOf = (scanOutput: string) =>
  bus.received
    .filter((e) => e.DetailType === DETAIL_TYPES.summary && scanOutput.includes(JSON.parse(e.Detail).scanId))
    .map((e) => JSON.parse(e.Detail));

describe('npm run scan and the project lease', () => {
  it('a scan SIGKILLed mid-listing blocks the next ones for one short lease at most: the one after it scans', async () => {
    await killMidListing({ SCAN_LEASE_SECONDS: '3' });
    await new Promise((r) => setTimeout(r, 3_500));
    const next = await startScan({ SCAN_LEASE_SECONDS: '3' }).done;
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(new RegExp(`${project()}\\s+complete`));
    expect(next.stderr).not.toContain('skipped');
  }, 120_000);

  it('a live scan keeps its project past SCAN_LEASE_SECONDS by renewing the lease; a second scan exits 1 and reports the skip', async () => {
    pageLatency = 250;
    // 30 pages at 250 ms: about 8 s, well past the 3 s lease.
    const holder = startScan({ SCAN_LEASE_SECONDS: '3' });
    await until(() => /… \S+: \d+ snapshots in \d+ pages/.test(holder.stderr()), 60_000);
    await new Promise((r) => setTimeout(r, 4_000));
    expect(holder.child.exitCode).toBe(null);
    const second = await startScan({ SCAN_LEASE_SECONDS: '3' }).done;
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`${project()}\\s+skipped`));
    expect(second.stderr).toContain(`${project()}: another scan holds its lease; this run did not scan it`);
    expect(summariesOf(second.stderr)).toEqual([
      expect.objectContaining({ skipped: 1, complete: false, failureCode: 'SCAN_IN_PROGRESS' }),
    ]);
    const first = await holder.done;
    expect(first.code, first.stderr).toBe(0);
    // Every finding announced once, by the holder.
    expect(bus.received.filter((e) => e.DetailType === DETAIL_TYPES.finding)).toHaveLength(fleet.expected.size);
  }, 120_000);

  it('with the default lease, a scan started 90 s after one was SIGKILLed mid-listing scans the project', async () => {
    await killMidListing();
    await new Promise((r) => setTimeout(r, 90_000));
    const next = await startScan().done;
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(new RegExp(`${project()}\\s+complete`));
    expect(next.stderr).not.toContain('skipped');
  }, 180_000);
});
