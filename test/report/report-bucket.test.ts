/**
 * The deployed report: each complete scan writes its project's part to the report bucket (the
 * real S3 client against a loopback S3 endpoint), and the scheduled fleetReport function turns
 * the parts into the fleet report in every format.
 */
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFleetReportHandler, type FleetReportResult, fleetReportDepsFromEnv } from '../../functions/fleet-report';
import { createScanSnapshotsHandler, scanSnapshotsDepsFromEnv } from '../../functions/scan-snapshots';
import { createLogger } from '../../lib/observability/log';
import { createMetrics } from '../../lib/observability/metrics';
import type { FleetReport, ProjectReport } from '../../lib/report/fleet';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { lambdaContext } from '../../tools/local/loopback';
import { type LocalS3, startLocalS3 } from '../../tools/local/s3';
import { loadEvent } from '../helpers/events';
import { jsonLinesWhile } from '../helpers/stdout';

const BUCKET = 'evs-reports-test';
let fleet: Fleet;
let emulator: RunningEmulator;
let s3: LocalS3;
let bus: LocalEventBridge;
let down: string | undefined;
let failPut: string | undefined;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  fleet = generateFleet({ seed: 'bucket', size: 900, projects: 3, now: Date.now() });
  emulator = await startEmulator({
    projects: fleet.projects,
    auth: { mode: 'noauth' },
    fault: (r) =>
      r.projectId === down
        ? { status: 503, body: '{"serviceUnavailable": {"message": "down", "code": 503}}' }
        : undefined,
  });
  s3 = await startLocalS3({
    buckets: [BUCKET],
    fail: (method, _b, key) =>
      method === 'PUT' && failPut !== undefined && key.includes(failPut)
        ? { status: 403, code: 'AccessDenied' }
        : undefined,
  });
  bus = await startLocalEventBridge();
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
  });
});
afterAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  delete process.env.AWS_ENDPOINT_URL_S3;
  delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
  await Promise.all([emulator.close(), s3.close(), bus.close()]);
});
afterEach(() => {
  down = undefined;
  failPut = undefined;
});

const ids = () => fleet.projects.map((p) => p.projectId);
const env = () => ({
  EVS_ENDPOINT: emulator.url,
  EVS_AUTH: 'noauth',
  EVS_RETRY_BASE_MS: '1',
  EVS_MAX_ATTEMPTS: '1',
  SCAN_PROJECT_IDS: ids().join(','),
  REPORT_BUCKET: BUCKET,
  AWS_ENDPOINT_URL_S3: s3.url,
});
const part = (projectId: string) =>
  JSON.parse(s3.text(BUCKET, `projects/default/${projectId}.json`) ?? 'null') as ProjectReport | null;

async function scan(request: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const handler = createScanSnapshotsHandler(
    scanSnapshotsDepsFromEnv(
      env(),
      createLogger({}, (l) => lines.push(l), 'info'),
    ),
  );
  const summary = (await handler(request, lambdaContext(60_000) as Context)) as {
    ok: boolean;
    projects: Array<{ projectId: string; complete: boolean; reportWritten?: boolean }>;
  };
  return { summary, lines };
}

async function fleetReport() {
  const lines: string[] = [];
  const handler = createFleetReportHandler({
    ...fleetReportDepsFromEnv(
      { REPORT_BUCKET: BUCKET, AWS_ENDPOINT_URL_S3: s3.url },
      createLogger({}, (l) => lines.push(l), 'info'),
    ),
    metrics: createMetrics('fleet-report'),
  });
  let result: FleetReportResult | undefined;
  const emf = (
    await jsonLinesWhile(
      async () =>
        (result = (await handler(
          loadEvent('scheduled-scan.json'),
          lambdaContext(30_000) as Context,
        )) as FleetReportResult),
    )
  ).filter((b) => '_aws' in b);
  return { result: result as FleetReportResult, lines, emf };
}

describe('the report bucket', () => {
  it('gets a part per completely scanned project, and the fleet report in four formats from the scheduled function', async () => {
    const { summary } = await scan();
    expect(summary.ok).toBe(true);
    for (const id of ids())
      expect(part(id)).toMatchObject({
        reportVersion: '1.0',
        target: 'default',
        projectId: id,
        stats: { snapshots: 300 },
      });

    const { result, emf } = await fleetReport();
    expect(result).toMatchObject({ projects: 3, snapshots: 900, invalidParts: 0 });
    // What the dashboard draws: the fleet's GB and what the policy flags, as EMF.
    expect(emf).toContainEqual(
      expect.objectContaining({
        service: 'fleet-report',
        ReportProjects: 3,
        SnapshotGigabytes: result.gb,
        FlaggedGigabytes: fleet.projects
          .flatMap((p) => p.snapshots)
          .filter((s) => fleet.expected.has(s.id))
          .reduce((n, s) => n + s.size, 0),
      }),
    );
    expect(s3.keys(BUCKET)).toEqual(
      expect.arrayContaining([
        'fleet-report.json',
        'fleet-report.csv',
        'fleet-report.html',
        'fleet-report.prom',
        `history/${result.generatedAt.slice(0, 19).replaceAll(':', '-')}Z/fleet-report.json`,
      ]),
    );
    const report = JSON.parse(s3.text(BUCKET, 'fleet-report.json') as string) as FleetReport;
    expect(report.projects.map((p) => p.projectId)).toEqual([...ids()].sort());
    expect(report.totals.gb).toBe(fleet.projects.flatMap((p) => p.snapshots).reduce((n, s) => n + s.size, 0));
    expect(s3.text(BUCKET, 'fleet-report.html')).toContain('Chart.js v4.6.1');
    expect(s3.calls.filter((c) => c.method === 'PUT' && c.key.startsWith('fleet-report.')).length).toBe(4);
  });

  it('keeps the last complete part of a project a later scan could not finish, and leaves out what is not a part', async () => {
    await scan();
    const [a, b] = ids() as [string, string];
    const before = part(b);
    down = b;
    await new Promise((r) => setTimeout(r, 5));
    const { summary } = await scan();
    expect(summary.projects.find((p) => p.projectId === b)).toMatchObject({ complete: false });
    expect(part(b)).toEqual(before);
    expect(part(a)?.scannedAt).not.toBe(before?.scannedAt);

    await fetch(`${s3.url}/${BUCKET}/projects/default/junk.json`, { method: 'PUT', body: '{"not": "a part"}' });
    const { result, lines } = await fleetReport();
    expect(result).toMatchObject({ projects: 3, invalidParts: 1 });
    expect(
      lines.some((l) => l.includes('report part is not a project report') && l.includes('projects/default/junk.json')),
    ).toBe(true);
  });

  it('writes no part in a dry run', async () => {
    const puts = () => s3.calls.filter((c) => c.method === 'PUT' && c.key.startsWith('projects/')).length;
    const before = puts();
    const { summary } = await scan({ dryRun: true });
    expect(summary.ok).toBe(true);
    expect(puts()).toBe(before);
  });

  it('lets the scan stand when a part cannot be written, and says so in the log and the result', async () => {
    const [a] = ids() as [string];
    failPut = a;
    const { summary, lines } = await scan();
    expect(summary.ok).toBe(true);
    expect(summary.projects.find((p) => p.projectId === a)).toMatchObject({ complete: true, reportWritten: false });
    expect(summary.projects.filter((p) => p.reportWritten === false)).toHaveLength(1);
    expect(
      lines.some((l) => l.includes('report part not written') && l.includes(a) && l.includes('AccessDenied')),
    ).toBe(true);
  });

  it('fails the fleet report invocation, for Lambda to alarm on, when the bucket cannot be read', async () => {
    const handler = createFleetReportHandler(
      fleetReportDepsFromEnv(
        { REPORT_BUCKET: 'no-such-bucket', AWS_ENDPOINT_URL_S3: s3.url },
        createLogger({}, () => undefined, 'silent'),
      ),
    );
    await expect(handler(loadEvent('scheduled-scan.json'), lambdaContext(30_000) as Context)).rejects.toThrow(
      /bucket/i,
    );
    const unset = createFleetReportHandler(
      fleetReportDepsFromEnv(
        {},
        createLogger({}, () => undefined, 'silent'),
      ),
    );
    await expect(unset(loadEvent('scheduled-scan.json'), lambdaContext(30_000) as Context)).rejects.toThrow(
      'REPORT_BUCKET is not set',
    );
  });
});
