import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatchScansHandler, dispatchScansDepsFromEnv } from '../../functions/dispatch-scans';
import { DETAIL_TYPES } from '../../lib/events/contract';
import type { DispatchResult } from '../../lib/fanout/dispatch';
import { createLogger } from '../../lib/observability/log';
import { generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { type LocalFifoQueue, startLocalFifoQueue } from '../../tools/local/sqs';
import { lambdaContext, loadEvent } from '../helpers/events';
import { OTHER_PROJECT, SAMPLE_PROJECT } from '../helpers/fleet';

const fleet = generateFleet({
  seed: 'handler-dispatch',
  size: 20,
  projects: [SAMPLE_PROJECT, OTHER_PROJECT],
  now: Date.now(),
});
let emulator: RunningEmulator;
let bus: LocalEventBridge;
let queue: LocalFifoQueue;
let dir: string;
let downUrl: string;

beforeAll(async () => {
  [emulator, bus, queue] = await Promise.all([
    startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } }),
    startLocalEventBridge(),
    startLocalFifoQueue({ paused: true }),
  ]);
  // A region whose identity service is down: a port that was just closed.
  const gone = await startEmulator({ projects: [] });
  downUrl = gone.url;
  await gone.close();
  dir = mkdtempSync(join(tmpdir(), 'dispatch-'));
  // The real clients the dispatcher builds itself, aimed at loopback.
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
    AWS_ENDPOINT_URL_SQS: queue.endpoint,
  });
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_SQS;
  rmSync(dir, { recursive: true, force: true });
  await Promise.all([emulator.close(), bus.close(), queue.close()]);
});

/** The real middy-wrapped handler from its own factory, configured by exactly this environment. */
function dispatchHandler(env: Record<string, string>) {
  return createDispatchScansHandler(
    dispatchScansDepsFromEnv(
      env,
      createLogger({}, () => undefined, 'silent'),
    ),
  ) as unknown as (e: unknown, c: Context) => Promise<DispatchResult>;
}

function targetsFile(): string {
  const file = join(dir, 'targets.yml');
  writeFileSync(
    file,
    [
      'targets:',
      '  - name: eu-de',
      `    endpoint: ${emulator.url}`,
      '    region: eu-de',
      '    auth: { mode: noauth }',
      `    projects: [${SAMPLE_PROJECT}, ${OTHER_PROJECT}]`,
      '    concurrency: 2',
      '  - name: down',
      `    endpoint: ${downUrl}`,
      '    region: eu-nl',
      '    auth: { mode: noauth }',
      '    discover: {}',
      `    identityEndpoint: ${downUrl}`,
      '',
    ].join('\n'),
  );
  return file;
}

describe('dispatch-scans handler (middy-wrapped, events/scheduled-scan.json)', () => {
  it("queues one work item per project for the schedule's cycle, one message group per target slot, and reports the target it could not discover; it scans nothing itself", async () => {
    const handler = dispatchHandler({
      SCAN_TARGETS_FILE: targetsFile(),
      SCAN_QUEUE_URL: queue.queueUrl,
      EVENT_BUS_NAME: 'dispatch-test',
      EVS_TIMEOUT_MS: '1000',
      EVS_MAX_ATTEMPTS: '1',
      EVENT_RETRY_BASE_MS: '1',
    });

    const result = await handler(loadEvent('scheduled-scan.json'), lambdaContext(60_000));

    expect(result).toMatchObject({
      cycleId: '2026-12-01T12:00:00.000Z',
      dispatched: 2,
      undelivered: [],
      discoveryFailures: 1,
      overdue: [],
    });
    expect(queue.sent.map((m) => [m.groupId, JSON.parse(m.body)])).toEqual([
      [
        'eu-de#0',
        expect.objectContaining({
          version: 1,
          cycleId: '2026-12-01T12:00:00.000Z',
          target: 'eu-de',
          region: 'eu-de',
          projectId: [SAMPLE_PROJECT, OTHER_PROJECT].sort()[0],
        }),
      ],
      [
        'eu-de#1',
        expect.objectContaining({
          version: 1,
          cycleId: '2026-12-01T12:00:00.000Z',
          target: 'eu-de',
          region: 'eu-de',
          projectId: [SAMPLE_PROJECT, OTHER_PROJECT].sort()[1],
        }),
      ],
    ]);
    const failed = bus.received
      .filter((e) => e.DetailType === DETAIL_TYPES.failed)
      .map((e) => ({ bus: e.EventBusName, ...JSON.parse(e.Detail) }));
    expect(failed).toEqual([
      expect.objectContaining({
        bus: 'dispatch-test',
        target: 'down',
        region: 'eu-nl',
        projectId: '*',
        scanId: '2026-12-01T12:00:00.000Z',
        failureCode: 'UPSTREAM_UNAVAILABLE',
      }),
    ]);
    expect(emulator.requestsByProject.size).toBe(0);
  });

  it('fails every run, naming the setting, when the queue is not configured', async () => {
    const handler = dispatchHandler({ SCAN_TARGETS_FILE: targetsFile() });
    await expect(handler(loadEvent('scheduled-scan.json'), lambdaContext())).rejects.toThrow('SCAN_QUEUE_URL');
  });
});
