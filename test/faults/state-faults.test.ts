/**
 * Faults of the findings table found by probing the scanner (issue 23): a table that freezes
 * mid-scan. The real CLI runs against the emulator, a local bus and dynalite in a process of its
 * own, which the test stops with SIGSTOP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../lib/events/contract';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { startLocalDynamo } from '../../tools/local/dynamodb';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { startDynaliteProcess } from '../helpers/dynalite-process';

let fleet: Fleet;
let emulator: RunningEmulator;
let pageLatency = 0;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  fleet = generateFleet({ seed: 'state-faults', size: 3_000, projects: 1, now: Date.now() });
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' }, latencyMs: () => pageLatency });
});
afterAll(() => emulator.close());
afterEach(async () => {
  pageLatency = 0;
  for (const c of cleanups.splice(0).reverse()) await c();
});

const project = () => fleet.projects[0]?.projectId as string;

function startScan(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; stderr: () => string; done: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/scan.ts', ...args], {
    env: {
      PATH: process.env.PATH,
      EVS_ENDPOINT: emulator.url,
      EVS_AUTH: 'noauth',
      SCAN_PROJECT_IDS: project(),
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 't',
      AWS_SECRET_ACCESS_KEY: 't',
      LOG_LEVEL: 'silent',
      ...env,
    },
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr?.on('data', (c) => (stderr += c));
  return { child, stderr: () => stderr, done: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a findings table that stops answering', () => {
  it('a table frozen mid-listing (SIGSTOP) ends npm run scan -- --timeout-seconds 20 by 25 s, with its summary and Scan Failed delivered', async () => {
    const dynamo = await startDynaliteProcess();
    cleanups.push(dynamo.close);
    const bus: LocalEventBridge = await startLocalEventBridge();
    cleanups.push(bus.close);
    pageLatency = 250;
    const started = Date.now();
    const scan = startScan(['--timeout-seconds', '20'], {
      SCAN_PAGE_SIZE: '100',
      FINDINGS_TABLE: dynamo.table,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
    });
    // The lease is taken and the index read: the table answers until the listing is under way.
    await until(() => /… \S+: \d+ snapshots in [2-9] pages/.test(scan.stderr()), 15_000);
    dynamo.child.kill('SIGSTOP');
    const code = await scan.done;
    const took = Date.now() - started;
    expect(took).toBeLessThan(25_000);
    expect(code).toBe(1);
    expect(scan.stderr()).toContain(`${project()}: STATE_UNAVAILABLE`);
    const events = bus.received.map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail) }));
    expect(events.filter((e) => e.type === DETAIL_TYPES.summary).map((e) => e.detail)).toEqual([
      expect.objectContaining({ complete: false, failureCode: 'STATE_UNAVAILABLE' }),
    ]);
    expect(events.filter((e) => e.type === DETAIL_TYPES.failed).map((e) => e.detail.failureCode)).toEqual([
      'STATE_UNAVAILABLE',
    ]);
  }, 60_000);

  it('a table keyed only by projectId fails every run loudly (exit 1, STATE_UNAVAILABLE, Scan Failed), never a silent skip, and is left without a lease', async () => {
    const dynamo = await startLocalDynamo();
    cleanups.push(dynamo.close);
    const bus: LocalEventBridge = await startLocalEventBridge();
    cleanups.push(bus.close);
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: 'mis-keyed',
        AttributeDefinitions: [{ AttributeName: 'projectId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'projectId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (const run of [1, 2]) {
      const before = bus.received.length;
      const scan = startScan(['--timeout-seconds', '30'], {
        FINDINGS_TABLE: 'mis-keyed',
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
        AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
      });
      expect(await scan.done, `run ${run}: ${scan.stderr()}`).toBe(1);
      expect(scan.stderr()).toContain(`${project()}: STATE_UNAVAILABLE`);
      expect(scan.stderr()).not.toContain('skipped');
      const events = bus.received.slice(before).map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail) }));
      expect(events.filter((e) => e.type === DETAIL_TYPES.failed).map((e) => e.detail.failureCode)).toEqual([
        'STATE_UNAVAILABLE',
      ]);
      expect(events.filter((e) => e.type === DETAIL_TYPES.finding)).toEqual([]);
    }
    expect(
      (await DynamoDBDocumentClient.from(dynamo.client).send(new ScanCommand({ TableName: 'mis-keyed' }))).Items,
    ).toEqual([]);
  }, 90_000);
});
