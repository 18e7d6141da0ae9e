import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListSnapshotsHandler, listSnapshotsDepsFromEnv } from '../../functions/list-snapshots';
import { createScanSnapshotsHandler, scanSnapshotsDepsFromEnv } from '../../functions/scan-snapshots';
import { createLogger } from '../../lib/observability/log';
import { createMetrics, METRICS_NAMESPACE } from '../../lib/observability/metrics';
import { generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { httpApiEvent, lambdaContext, loadEvent } from '../helpers/events';
import { OTHER_PROJECT, SAMPLE_PROJECT } from '../helpers/fleet';
import { jsonLinesWhile } from '../helpers/stdout';

let emulator: RunningEmulator;
let bus: LocalEventBridge;
const fleet = generateFleet({
  seed: 'metrics',
  size: 1_200,
  projects: [SAMPLE_PROJECT, OTHER_PROJECT],
  now: Date.now(),
});
const silent = createLogger({}, () => undefined, 'silent');

beforeAll(async () => {
  emulator = await startEmulator({
    projects: fleet.projects,
    auth: { mode: 'noauth' },
    fault: (r) =>
      r.projectId === OTHER_PROJECT
        ? { status: 503, body: '{"serviceUnavailable": {"code": 503, "message": "x"}}' }
        : undefined,
  });
  bus = await startLocalEventBridge();
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
});
afterAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  await emulator.close();
  await bus.close();
});

/** Metrics that publish: the suite turns them off elsewhere (single metrics read the setting when made). */
function liveMetrics(service: string) {
  return createMetrics(service);
}

const emfLines = async (run: () => Promise<unknown>) => (await jsonLinesWhile(run)).filter((b) => '_aws' in b);

const metricValues = (blobs: Array<Record<string, any>>, name: string, dims: Record<string, string> = {}) =>
  blobs.filter((b) => name in b && Object.entries(dims).every(([k, v]) => b[k] === v)).map((b) => b[name]);

describe('metrics operators alarm on (Powertools EMF)', () => {
  it('counts proxy requests by status class and records the upstream time', async () => {
    const handler = createListSnapshotsHandler({
      ...listSnapshotsDepsFromEnv(
        { EVS_ENDPOINT: emulator.url, EVS_AUTH: 'noauth', ALLOWED_PROJECT_IDS: SAMPLE_PROJECT },
        silent,
      ),
      metrics: liveMetrics('list-snapshots'),
    });
    const blobs = await emfLines(async () => {
      await handler(httpApiEvent({ query: 'limit=5' }), lambdaContext());
      await handler(httpApiEvent({ query: 'all_tenants=1' }), lambdaContext());
    });
    expect(blobs.every((b) => b._aws.CloudWatchMetrics[0].Namespace === METRICS_NAMESPACE)).toBe(true);
    expect(metricValues(blobs, 'Requests', { StatusClass: '2xx' })).toEqual([1]);
    expect(metricValues(blobs, 'Requests', { StatusClass: '4xx' })).toEqual([1]);
    const latency = metricValues(blobs, 'UpstreamLatency');
    expect(latency).toHaveLength(1);
    expect(latency[0]).toBeGreaterThan(0);
  });

  it('publishes what a scan read, found and could not do: incomplete projects, undelivered events, errors by code', async () => {
    const deps = scanSnapshotsDepsFromEnv(
      {
        EVS_ENDPOINT: emulator.url,
        EVS_AUTH: 'noauth',
        EVS_RETRY_BASE_MS: '1',
        SCAN_PROJECT_IDS: `${SAMPLE_PROJECT},${OTHER_PROJECT}`,
      },
      silent,
    );
    const handler = createScanSnapshotsHandler({ ...deps, metrics: liveMetrics('scan-snapshots') }) as unknown as (
      e: unknown,
      c: Context,
    ) => Promise<unknown>;
    const blobs = await emfLines(() => handler(loadEvent('scheduled-scan.json'), lambdaContext(60_000)));
    const found =
      fleet.projects.find((p) => p.projectId === SAMPLE_PROJECT)?.snapshots.filter((s) => fleet.expected.has(s.id)) ??
      [];
    expect(metricValues(blobs, 'SnapshotsRead')).toEqual([600]);
    expect(metricValues(blobs, 'ProjectsIncomplete')).toEqual([1]);
    expect(metricValues(blobs, 'EventsUndelivered')).toEqual([0]);
    expect(metricValues(blobs, 'ScansCompleted')).toEqual([2]);
    expect(metricValues(blobs, 'UpstreamErrors', { FailureCode: 'UPSTREAM_ERROR' })).toEqual([1]);
    const byType = blobs.filter((b) => 'Findings' in b).reduce((n, b) => n + (b.Findings as number), 0);
    expect(byType).toBe(found.length);
    expect(metricValues(blobs, 'Findings', { FindingType: 'ERROR_STATUS', Severity: 'high' })).toHaveLength(1);
  });
});
