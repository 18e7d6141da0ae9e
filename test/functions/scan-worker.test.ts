import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScanWorkerHandler, scanWorkerDepsFromEnv } from '../../functions/scan-worker';
import { DETAIL_TYPES } from '../../lib/events/contract';
import { createLogger } from '../../lib/observability/log';
import { generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { lambdaContext, loadEvent } from '../helpers/events';
import { FOREIGN_PROJECT, OTHER_PROJECT, SAMPLE_PROJECT } from '../helpers/fleet';

let emulator: RunningEmulator;
let bus: LocalEventBridge;
const fleet = generateFleet({
  seed: 'handler-worker',
  size: 60,
  projects: [SAMPLE_PROJECT, OTHER_PROJECT],
  now: Date.now(),
});
const lines: Array<{ message: string; [key: string]: unknown }> = [];

beforeAll(async () => {
  [emulator, bus] = await Promise.all([
    startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } }),
    startLocalEventBridge(),
  ]);
});
afterAll(() => Promise.all([emulator.close(), bus.close()]));

/** The real middy-wrapped worker from its own factory, scanning target eu-de's two sample projects (not FOREIGN_PROJECT). */
function workerHandler() {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
  });
  const env = {
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    EVS_REGION: 'eu-de',
    SCAN_TARGET_NAME: 'eu-de',
    SCAN_PROJECT_IDS: `${SAMPLE_PROJECT},${OTHER_PROJECT}`,
    EVENT_BUS_NAME: 'worker-test',
  };
  const logger = createLogger({}, (line) => lines.push(JSON.parse(line)), 'info');
  return createScanWorkerHandler(scanWorkerDepsFromEnv(env, logger)) as unknown as (
    e: SQSEvent,
    c: Context,
  ) => Promise<SQSBatchResponse>;
}

const summaries = (since: number) =>
  bus.received
    .slice(since)
    .filter((e) => e.DetailType === DETAIL_TYPES.summary)
    .map((e) => JSON.parse(e.Detail) as { projectId: string; complete: boolean });

describe('scan-worker handler (middy-wrapped, events/sqs-scan-work.json)', () => {
  it('hands back the failed work item and every one after it in a FIFO batch, without scanning those after it', async () => {
    const event = loadEvent<SQSEvent>('sqs-scan-work.json');
    const [first, second, third] = event.Records.map((r) => r.messageId);
    expect(event.Records.map((r) => JSON.parse(r.body).projectId)).toEqual([
      SAMPLE_PROJECT,
      FOREIGN_PROJECT,
      OTHER_PROJECT,
    ]);
    const before = bus.received.length;

    const response = await workerHandler()(event, lambdaContext(60_000));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: second }, { itemIdentifier: third }]);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).not.toContain(first);
    // The first was scanned and published; the third was never listed upstream nor published.
    expect(emulator.requestsByProject.get(SAMPLE_PROJECT)).toBeGreaterThan(0);
    expect(emulator.requestsByProject.has(OTHER_PROJECT)).toBe(false);
    expect(emulator.requestsByProject.has(FOREIGN_PROJECT)).toBe(false);
    expect(summaries(before)).toEqual([expect.objectContaining({ projectId: SAMPLE_PROJECT, complete: true })]);
    // The log says which item failed and which were handed back untouched.
    expect(lines.find((l) => l.message === 'work item failed; SQS will deliver it again')).toMatchObject({
      messageId: second,
    });
    expect(lines.find((l) => l.message.startsWith('work items handed back unprocessed'))).toMatchObject({
      messageIds: [third],
    });
  });

  it('answers a batch whose only item fails with that item named, rather than failing the invocation', async () => {
    const event = loadEvent<SQSEvent>('sqs-scan-work.json');
    const broken = { ...(event.Records[0] as SQSEvent['Records'][number]), body: 'not a work message' };
    const before = bus.received.length;

    const response = await workerHandler()({ Records: [broken] }, lambdaContext(60_000));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: broken.messageId }] });
    expect(bus.received.length).toBe(before);
  });

  it('scans every item of a batch in order when none fails, and names none', async () => {
    const event = loadEvent<SQSEvent>('sqs-scan-work.json');
    const configured = event.Records.filter((r) => JSON.parse(r.body).projectId !== FOREIGN_PROJECT).map((r, i) => ({
      ...r,
      body: r.body.replace('2026-12-01T12:00:00.000Z', `2026-12-01T12:1${i}:00.000Z`),
    }));
    const before = bus.received.length;

    const response = await workerHandler()({ Records: configured }, lambdaContext(60_000));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(summaries(before).map((s) => [s.projectId, s.complete])).toEqual([
      [SAMPLE_PROJECT, true],
      [OTHER_PROJECT, true],
    ]);
  });
});
