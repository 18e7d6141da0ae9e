import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetReportHandler, type FleetReportResult, fleetReportDepsFromEnv } from '../../functions/fleet-report';
import { createLogger } from '../../lib/observability/log';
import type { FleetReport } from '../../lib/report/fleet';
import { createPrintingSink } from '../../lib/scan/dry-run';
import { buildScanner } from '../../lib/wiring/scanner';
import { loadScanSettings } from '../../lib/wiring/settings/scanner';
import { generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type LocalS3, startLocalS3 } from '../../tools/local/s3';
import { lambdaContext, loadEvent } from '../helpers/events';
import { OTHER_PROJECT, SAMPLE_PROJECT } from '../helpers/fleet';

const BUCKET = 'fleet-report-handler';
const fleet = generateFleet({
  seed: 'handler-report',
  size: 80,
  projects: [SAMPLE_PROJECT, OTHER_PROJECT],
  now: Date.now(),
});
let emulator: RunningEmulator;
let s3: LocalS3;

beforeAll(async () => {
  [emulator, s3] = await Promise.all([
    startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } }),
    startLocalS3({ buckets: [BUCKET] }),
  ]);
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_S3: s3.url,
  });
  // The projects' parts, written to the bucket by a real scan (its events printed to nowhere).
  const settings = loadScanSettings({
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    SCAN_PROJECT_IDS: `${SAMPLE_PROJECT},${OTHER_PROJECT}`,
    REPORT_BUCKET: BUCKET,
    AWS_ENDPOINT_URL_S3: s3.url,
  });
  const scanned = await buildScanner(settings, { createSink: () => createPrintingSink(() => undefined) })(
    Date.now() + 30_000,
  );
  expect(scanned.projects.map((p) => p.reportWritten)).toEqual([true, true]);
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_S3;
  await Promise.all([emulator.close(), s3.close()]);
});

/** The real middy-wrapped handler from its own factory, configured by exactly this environment. */
function reportHandler(env: Record<string, string>) {
  return createFleetReportHandler(
    fleetReportDepsFromEnv(
      env,
      createLogger({}, () => undefined, 'silent'),
    ),
  ) as unknown as (e: unknown, c: Context) => Promise<FleetReportResult>;
}

describe('fleet-report handler (middy-wrapped, events/scheduled-scan.json)', () => {
  it("turns the projects' parts in the bucket into the fleet report in every format, counting every snapshot", async () => {
    const result = await reportHandler({ REPORT_BUCKET: BUCKET, AWS_ENDPOINT_URL_S3: s3.url })(
      loadEvent('scheduled-scan.json'),
      lambdaContext(30_000),
    );

    expect(result).toMatchObject({ projects: 2, snapshots: 80, invalidParts: 0 });
    expect(s3.keys(BUCKET)).toEqual(
      expect.arrayContaining(['fleet-report.json', 'fleet-report.csv', 'fleet-report.html', 'fleet-report.prom']),
    );
    const report = JSON.parse(s3.text(BUCKET, 'fleet-report.json') as string) as FleetReport;
    expect(report.projects.map((p) => p.projectId)).toEqual([SAMPLE_PROJECT, OTHER_PROJECT].sort());
    expect(report.totals.gb).toBe(fleet.projects.flatMap((p) => p.snapshots).reduce((n, s) => n + s.size, 0));
  });

  it('fails every run, naming the setting, when no bucket is configured', async () => {
    await expect(reportHandler({})(loadEvent('scheduled-scan.json'), lambdaContext())).rejects.toThrow(
      'REPORT_BUCKET is not set',
    );
  });
});
