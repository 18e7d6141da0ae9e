/**
 * What issue 24 asks of the digests, through the real notifier handler: a link to the latest HTML
 * report that a plain fetch (no AWS credentials) opens from a private bucket, and the monthly cost
 * of the new findings where prices are configured. The local S3 runs in private mode: it refuses
 * unsigned, tampered and expired requests the way S3 does.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetReportHandler, fleetReportDepsFromEnv } from '../../functions/fleet-report';
import { createNotifierHandler, type NotifierEvent, notifierDepsFromEnv } from '../../functions/notifier';
import type { FindingDetail, SnapshotFields } from '../../lib/events/contract';
import type { WebhookBody } from '../../lib/notify/render/webhook';
import { createLogger } from '../../lib/observability/log';
import { type LocalDynamo, startLocalDynamo } from '../../tools/local/dynamodb';
import { lambdaContext } from '../../tools/local/loopback';
import { createNotificationsTable } from '../../tools/local/notifications';
import { type LocalS3, startLocalS3 } from '../../tools/local/s3';
import { loadEvent } from '../helpers/events';
import { startScriptedServer } from '../helpers/scripted-server';

const BUCKET = 'evs-reports-digest';
const KEY = { accessKeyId: 'AKIDLOCALDIGEST', secretAccessKey: 'local-secret-key-for-digests' };
const T0 = Date.parse('2026-03-02T10:00:30Z');
let dynamo: LocalDynamo;
let s3: LocalS3;
const closers: Array<() => Promise<void>> = [];
const saved = { ...process.env };
const AWS_KEYS = [
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_DYNAMODB',
];

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  s3 = await startLocalS3({ buckets: [BUCKET], private: KEY });
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
  });
  // The latest report, written by the real report function (a fleet of no projects is still a page).
  const report = createFleetReportHandler(
    fleetReportDepsFromEnv(
      { REPORT_BUCKET: BUCKET, AWS_ENDPOINT_URL_S3: s3.url },
      createLogger({}, () => undefined, 'silent'),
    ),
  );
  await report(loadEvent('scheduled-scan.json'), lambdaContext(30_000) as Context);
});
afterAll(async () => {
  for (const k of AWS_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await Promise.all(closers.map((c) => c()));
  await Promise.all([dynamo.close(), s3.close()]);
});

/** The real handler with the default route posting to a webhook receiver on loopback; `deliver` then `tick` past the cycle sends the digest. */
async function notifier(env: Record<string, string>) {
  const receiver = await startScriptedServer(() => ({ status: 200 }));
  closers.push(receiver.close);
  const table = `notifications-${randomUUID().slice(0, 8)}`;
  await createNotificationsTable(dynamo.client, table);
  const clock = { now: T0 };
  // IS_OFFLINE: the digests are printed too, as under npm start.
  const printed: string[] = [];
  const base = notifierDepsFromEnv(
    { NOTIFICATIONS_TABLE: table, ALERT_WEBHOOK_URL: `${receiver.url}/hook`, IS_OFFLINE: 'true', ...env },
    createLogger({}, () => undefined),
    (line) => printed.push(line),
  );
  const handler = createNotifierHandler({
    ...base,
    build: () => ({ ...base.build(), now: () => clock.now }),
  }) as unknown as (e: NotifierEvent, c: Context) => Promise<unknown>;
  const context = { getRemainingTimeInMillis: () => 60_000 } as Context;
  return {
    deliver: (details: FindingDetail[]) =>
      handler(
        {
          Records: details.map((detail, i) => ({
            messageId: `m${i}-${randomUUID()}`,
            body: JSON.stringify({ 'detail-type': 'EVS Snapshot Finding', detail }),
          })),
        } as unknown as SQSEvent,
        context,
      ),
    /** The schedule's run after the default route's cycle (15 minutes) has closed. */
    tick: () => {
      clock.now += 16 * 60_000;
      return handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, context);
    },
    bodies: () => receiver.requests.map((r) => JSON.parse(r.body) as WebhookBody),
    printed,
  };
}

const sample = loadEvent<{ detail: FindingDetail }>('samples/finding-error-status.json').detail;
let serial = 0;
/** A new (OPENED) high finding of a snapshot of `size` GB. */
function opened(size: number): FindingDetail {
  serial++;
  return {
    ...sample,
    findingId: `f${String(serial).padStart(31, '0')}`,
    transitionId: `t${String(serial).padStart(31, '0')}`,
    snapshot: {
      ...(sample.snapshot as SnapshotFields),
      id: `${String(serial).padStart(8, '0')}-0000-4000-8000-000000000000`,
      name: `snap-${serial}`,
      size,
    },
  };
}

function pricesFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'prices-')), 'prices.yml');
  writeFileSync(file, text);
  return file;
}

describe('the report link in digests', () => {
  it('is a fresh presigned link that a plain fetch without credentials opens, while the bucket refuses an unsigned request', async () => {
    const n = await notifier({ REPORT_BUCKET: BUCKET, AWS_ENDPOINT_URL_S3: s3.url, REPORT_LINK_EXPIRES_HOURS: '24' });
    await n.deliver([opened(10)]);
    await n.tick();
    const [body] = n.bodies();
    const link = body?.links.report as string;
    expect(link.startsWith(`${s3.url}/${BUCKET}/fleet-report.html?`)).toBe(true);
    expect(new URL(link).searchParams.get('X-Amz-Expires')).toBe(String(24 * 3_600));
    expect(link).not.toContain(KEY.secretAccessKey);
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('EVS snapshot fleet report');
    expect((await fetch(`${s3.url}/${BUCKET}/fleet-report.html`)).status).toBe(403);
    // Another object with the same signature is refused: the link opens that one page only.
    // npm start prints the digest with the same link.
    expect(n.printed.join('\n')).toContain(`  report: ${link}`);
    const other = new URL(link);
    other.pathname = `/${BUCKET}/fleet-report.json`;
    expect((await fetch(other)).status).toBe(403);
  });

  it('is the fixed NOTIFY_REPORT_URL instead when that is set', async () => {
    const n = await notifier({
      REPORT_BUCKET: BUCKET,
      AWS_ENDPOINT_URL_S3: s3.url,
      NOTIFY_REPORT_URL: 'https://reports.example/fleet-report.html',
    });
    await n.deliver([opened(10)]);
    await n.tick();
    expect(n.bodies().map((b) => b.links.report)).toEqual(['https://reports.example/fleet-report.html']);
  });

  it('is left out without a report bucket or a fixed link', async () => {
    const n = await notifier({});
    await n.deliver([opened(10)]);
    await n.tick();
    expect(n.bodies()).toHaveLength(1);
    expect(n.bodies()[0]?.links.report).toBeUndefined();
  });
});

describe('money in digests', () => {
  it('with a price of 0.05 per GB-month, is the sum of the new findings\u2019 sizes \u00d7 0.05, to the cent', async () => {
    const sizes = [837, 121, 33, 1];
    const n = await notifier({ PRICES_FILE: pricesFile('currency: USD\npricePerGbMonth: 0.05\n') });
    await n.deliver(sizes.map(opened));
    await n.tick();
    const bodies = n.bodies();
    expect(bodies).toHaveLength(1);
    // (837 + 121 + 33 + 1) GB × 0.05 = 49.60; what is open in all the notifier cannot tell.
    expect(bodies[0]?.money).toEqual({ currency: 'USD', newPerMonth: 49.6, openPerMonth: null });
    expect(bodies[0]?.findings.map((f) => f.snapshot.size).sort((a, b) => a - b)).toEqual([1, 33, 121, 837]);
    expect(n.printed.join('\n')).toContain('  cost: USD 49.60/month in new findings');
  });

  it('is not there without prices', async () => {
    const n = await notifier({});
    await n.deliver([opened(837)]);
    await n.tick();
    expect(n.bodies()).toHaveLength(1);
    expect(n.bodies()[0]).not.toHaveProperty('money');
    expect(n.printed.join('\n')).not.toContain('cost:');
  });
});
