/**
 * The report link: scan summaries carry a presigned URL of the latest HTML report that a plain
 * fetch (no AWS credentials, no SDK) opens, while the bucket stays private: the local S3 here
 * refuses unsigned, tampered and expired requests the way S3 does.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetReportHandler, fleetReportDepsFromEnv } from '../../functions/fleet-report';
import { createScanSnapshotsHandler, scanSnapshotsDepsFromEnv } from '../../functions/scan-snapshots';
import type { SummaryDetail } from '../../lib/events/contract';
import { createLogger } from '../../lib/observability/log';
import { createReportLink } from '../../lib/report/link';
import { loadReportExtras } from '../../lib/wiring/settings/report';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { lambdaContext } from '../../tools/local/loopback';
import { checkPresigned, type LocalS3, startLocalS3 } from '../../tools/local/s3';
import { loadEvent } from '../helpers/events';
import { schemaErrors } from '../helpers/schemas';

const BUCKET = 'evs-reports-link';
const KEY = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-secret-key-for-tests' };
let fleet: Fleet;
let emulator: RunningEmulator;
let s3: LocalS3;
let bus: LocalEventBridge;
let pricesFile: string;
const saved = { ...process.env };

beforeAll(async () => {
  fleet = generateFleet({ seed: 'link', size: 400, projects: 2, now: Date.now() });
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } });
  s3 = await startLocalS3({ buckets: [BUCKET], private: KEY });
  bus = await startLocalEventBridge();
  pricesFile = join(tmpdir(), `prices-link-${process.pid}.yml`);
  writeFileSync(pricesFile, 'currency: EUR\npricePerGbMonth: 0.04\n');
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
  });
});
afterAll(async () => {
  for (const k of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_ENDPOINT_URL_S3',
    'AWS_ENDPOINT_URL_EVENTBRIDGE',
  ]) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await Promise.all([emulator.close(), s3.close(), bus.close()]);
});

const env = () => ({
  EVS_ENDPOINT: emulator.url,
  EVS_AUTH: 'noauth',
  SCAN_PROJECT_IDS: fleet.projects.map((p) => p.projectId).join(','),
  REPORT_BUCKET: BUCKET,
  AWS_ENDPOINT_URL_S3: s3.url,
  PRICES_FILE: pricesFile,
  REPORT_LINK_EXPIRES_HOURS: '24',
});

describe('the report link', () => {
  it('is carried by each scan summary with the money, and a plain fetch without credentials opens the latest HTML report', async () => {
    const scan = createScanSnapshotsHandler(
      scanSnapshotsDepsFromEnv(
        env(),
        createLogger({}, () => undefined, 'silent'),
      ),
    );
    await scan({}, lambdaContext(60_000) as Context);
    const report = createFleetReportHandler(
      fleetReportDepsFromEnv(
        env(),
        createLogger({}, () => undefined, 'silent'),
      ),
    );
    await report(loadEvent('scheduled-scan.json'), lambdaContext(30_000) as Context);

    const summaries = bus.received
      .filter((e) => e.DetailType === 'EVS Snapshot Scan Summary')
      .map((e) => JSON.parse(e.Detail) as SummaryDetail);
    expect(summaries).toHaveLength(2);
    for (const summary of summaries) {
      expect(schemaErrors('EVS Snapshot Scan Summary', summary)).toEqual([]);
      expect(summary.schemaVersion).toBe('2.3');
      const project = fleet.projects.find((p) => p.projectId === summary.projectId);
      const flaggedGb = (project?.snapshots ?? [])
        .filter((s) => fleet.expected.has(s.id))
        .reduce((n, s) => n + s.size, 0);
      const allGb = (project?.snapshots ?? []).reduce((n, s) => n + s.size, 0);
      expect(summary.money).toEqual(
        expect.objectContaining({
          currency: 'EUR',
          basis: 'size',
          perMonth: Math.round(allGb * 4) / 100,
          flaggedPerMonth: Math.round(flaggedGb * 4) / 100,
        }),
      );
      const url = summary.reportUrl as string;
      expect(url.startsWith(`${s3.url}/${BUCKET}/fleet-report.html?`)).toBe(true);
      expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe(String(24 * 3_600));
      expect(url).not.toContain(KEY.secretAccessKey);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('EVS snapshot fleet report');
    }
  });

  it('is the only way in: the bucket refuses a plain, a tampered and an expired request', async () => {
    const link = await createReportLink({ bucket: BUCKET, forcePathStyle: true, linkExpiresSeconds: 3_600 })();
    expect((await fetch(link)).status).toBe(200);
    const plain = await fetch(`${s3.url}/${BUCKET}/fleet-report.html`);
    expect(plain.status).toBe(403);
    expect(await plain.text()).toContain('AccessDenied');
    const other = new URL(link);
    other.pathname = `/${BUCKET}/fleet-report.json`;
    expect((await fetch(other)).status).toBe(403);
    const url = new URL(link);
    expect(checkPresigned('GET', url, url.host, KEY)).toBe('ok');
    expect(checkPresigned('GET', url, url.host, KEY, Date.now() + 3_601_000)).toBe('expired');
    expect(checkPresigned('GET', url, url.host, { ...KEY, secretAccessKey: 'another' })).toBe('bad-signature');
  });

  it('expires after at most 7 days: a longer REPORT_LINK_EXPIRES_HOURS is a configuration error', () => {
    expect(loadReportExtras({}).linkExpiresSeconds).toBe(7 * 86_400);
    expect(() => loadReportExtras({ REPORT_LINK_EXPIRES_HOURS: '169' })).toThrow(/REPORT_LINK_EXPIRES_HOURS/);
  });
});
