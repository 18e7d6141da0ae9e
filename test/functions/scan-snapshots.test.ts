import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScanSnapshotsHandler, scanSnapshotsDepsFromEnv } from '../../functions/scan-snapshots';
import { DETAIL_TYPES } from '../../lib/events/contract';
import { createLogger } from '../../lib/observability/log';
import { generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { lambdaContext, loadEvent } from '../helpers/events';
import { OTHER_PROJECT, SAMPLE_PROJECT } from '../helpers/fleet';

let emulator: RunningEmulator;
let bus: LocalEventBridge;
const fleet = generateFleet({
  seed: 'handler-scan',
  size: 2_500,
  projects: [SAMPLE_PROJECT, OTHER_PROJECT],
  now: Date.now(),
});

beforeAll(async () => {
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } });
  bus = await startLocalEventBridge();
});
afterAll(async () => {
  await emulator.close();
  await bus.close();
});

/** The real middy-wrapped handler from its own factory, configured by exactly this environment. */
async function importScanner(env: Record<string, string>) {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
  });
  const deps = scanSnapshotsDepsFromEnv(
    env,
    createLogger({}, () => undefined, 'silent'),
  );
  return createScanSnapshotsHandler(deps) as unknown as (e: unknown, c: Context) => Promise<any>;
}

describe('scan-snapshots handler (middy-wrapped, events/scheduled-scan.json)', () => {
  it('scans the configured projects and publishes to the configured bus', async () => {
    const handler = await importScanner({
      EVS_ENDPOINT: emulator.url,
      EVS_AUTH: 'noauth',
      SCAN_PROJECT_IDS: `${SAMPLE_PROJECT},${OTHER_PROJECT}`,
      EVENT_BUS_NAME: 'sentinel-test',
    });
    const result = await handler(loadEvent('scheduled-scan.json'), lambdaContext(60_000));
    expect(result.ok).toBe(true);
    expect(result.projects.map((p: any) => [p.projectId, p.complete, p.snapshotsRead])).toEqual([
      [SAMPLE_PROJECT, true, 1250],
      [OTHER_PROJECT, true, 1250],
    ]);
    const findings = bus.received.filter((e) => e.DetailType === DETAIL_TYPES.finding);
    expect(findings).toHaveLength(fleet.expected.size);
    expect(new Set(bus.received.map((e) => e.EventBusName))).toEqual(new Set(['sentinel-test']));
  });

  it('fails loudly on every run when its configuration is invalid', async () => {
    const handler = await importScanner({
      EVS_ENDPOINT: emulator.url,
      EVS_AUTH: 'noauth',
      SCAN_PROJECT_IDS: 'x',
      STUCK_AFTER_MINUTES: 'sleeping=5',
    });
    await expect(handler(loadEvent('scheduled-scan.json'), lambdaContext())).rejects.toThrow(
      'STUCK_AFTER_MINUTES names "sleeping"',
    );
  });
});
