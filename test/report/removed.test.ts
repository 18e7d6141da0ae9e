/// <reference lib="dom" />
/**
 * What cleanup removed, in the deployed fleet report: the audit items the remediation code writes
 * (its own store, on dynalite) are read back by the scheduled report function (the real S3 client
 * against a loopback S3, the real DynamoDB client), and the report shows the GB and the money per
 * calendar month of the confirmed deletions only, in its JSON, its OpenMetrics and its page (read
 * in a real headless Chromium).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetReportHandler, type FleetReportResult, fleetReportDepsFromEnv } from '../../functions/fleet-report';
import { createCleanupStore } from '../../lib/cleanup/dynamo-store';
import type { Snapshot } from '../../lib/domain/snapshot';
import { readTimes } from '../../lib/domain/times';
import type { CleanupAction, CleanupDetail } from '../../lib/events/contract';
import { createLogger } from '../../lib/observability/log';
import type { FleetReport, ProjectReport } from '../../lib/report/fleet';
import { lazyS3ReportStore } from '../../lib/report/lazy-s3-store';
import { createStatsAccumulator } from '../../lib/scan/stats';
import { lambdaContext } from '../../tools/local/loopback';
import { type LocalS3, startLocalS3 } from '../../tools/local/s3';
import { launchChromium } from '../helpers/browser';
import { readCharts } from '../helpers/charts';
import { startStateTable } from '../helpers/state';

const BUCKET = 'evs-reports-removed';
const NOW = Date.parse('2026-12-06T12:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'removed-'));
const PRICES = join(dir, 'prices.yml');
writeFileSync(
  PRICES,
  'currency: EUR\npricePerGbMonth: 0.05\nrules:\n  - { status: error, pricePerGbMonth: 0.01 }\n  - { target: t2, pricePerGbMonth: 0.1 }\n',
);

let s3: LocalS3;
let dynamo: Awaited<ReturnType<typeof startStateTable>>;

function part(target: string, region: string, projectId: string): ProjectReport {
  const stats = createStatsAccumulator(NOW);
  const s: Snapshot = {
    id: `${projectId}-s`,
    status: 'available',
    name: 'kept',
    description: null,
    created_at: '2026-11-01T00:00:00.000000',
    updated_at: null,
    metadata: {},
    volume_id: 'v',
    size: 5,
  };
  stats.add(s, readTimes(s), undefined);
  return {
    reportVersion: '1.0',
    target,
    region,
    projectId,
    scanId: 'scan',
    scannedAt: '2026-12-06T11:00:00.000Z',
    stats: stats.result(),
  };
}

let n = 0;
/** An audit item as the remediation function records it (CleanupDetail through the cleanup store's own writer). */
async function audit(
  action: CleanupAction,
  at: string,
  where: { projectId: string; target: string; region: string },
  size: number,
  status = 'available',
) {
  n++;
  const detail: CleanupDetail = {
    schemaVersion: '2.3',
    auditId: `audit-${n}`,
    action,
    at,
    ...where,
    runId: 'run-1',
    findingId: `finding-${n}`,
    rule: 'old-snapshots',
    snapshot: {
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      name: `old-${n}`,
      status,
      size,
      volume_id: 'v',
      created_at: '2025-01-01T00:00:00.000000',
      updated_at: null,
      metadata: {},
    } as CleanupDetail['snapshot'],
    deleteAfter: '2026-10-01T00:00:00Z',
    approvedBy: null,
    owner: null,
    reason: `${action} in a test`,
    ...(action === 'REFUSED' ? { refusal: 'STATUS_CHANGED' as CleanupDetail['refusal'] } : {}),
  };
  await createCleanupStore({ tableName: dynamo.table }).audit(detail, Date.now() + 10_000);
}

const P1 = { projectId: 'p1', target: 't1', region: 'eu-de' };
const P2 = { projectId: 'p2', target: 't2', region: 'eu-nl' };
const P3 = { projectId: 'p3', target: 't1', region: 'eu-de' };

beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
  dynamo = await startStateTable();
  Object.assign(process.env, { AWS_ENDPOINT_URL_S3: s3.url });
  const store = lazyS3ReportStore({ bucket: BUCKET, forcePathStyle: true });
  for (const p of [part('t1', 'eu-de', 'p1'), part('t2', 'eu-nl', 'p2')]) await store.putPart(p, Date.now() + 10_000);
  // Confirmed deletions: November twice (one in error, priced apart, at the month's last millisecond), December once, October in t2.
  await audit('DELETED', '2026-11-03T10:00:00.000Z', P1, 100);
  await audit('DELETED', '2026-11-30T23:59:59.999Z', P1, 20, 'error');
  await audit('DELETED', '2026-12-01T00:00:00.000Z', P1, 7);
  await audit('DELETED', '2026-10-15T08:00:00.000Z', P2, 30);
  // Not removals: marks, refusals, failed deletes, a brake.
  await audit('MARKED', '2026-11-01T00:00:00.000Z', P2, 700);
  await audit('REFUSED', '2026-11-05T00:00:00.000Z', P2, 500);
  await audit('FAILED', '2026-11-06T00:00:00.000Z', P1, 600);
  await audit('BRAKE', '2026-11-07T00:00:00.000Z', P1, 800);
  // Before the twelve months the report shows, and in a project it does not report.
  await audit('DELETED', '2025-12-31T23:59:59.999Z', P1, 1_000);
  await audit('DELETED', '2026-11-10T00:00:00.000Z', P3, 900);
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_S3;
  await Promise.all([s3.close(), dynamo.close()]);
});

async function runReport(env: Record<string, string>) {
  const lines: string[] = [];
  const deps = fleetReportDepsFromEnv(
    { REPORT_BUCKET: BUCKET, AWS_ENDPOINT_URL_S3: s3.url, ...env },
    createLogger({}, (l) => lines.push(l), 'info'),
  );
  const result = (await createFleetReportHandler({ ...deps, now: () => NOW })(
    {},
    lambdaContext(30_000) as Context,
  )) as FleetReportResult;
  return {
    result,
    lines,
    report: JSON.parse(s3.text(BUCKET, 'fleet-report.json') as string) as FleetReport,
    html: s3.text(BUCKET, 'fleet-report.html') as string,
    prom: s3.text(BUCKET, 'fleet-report.prom') as string,
  };
}

const months = (from: number) => Array.from({ length: 12 }, (_, i) => `2026-${String(from + i).padStart(2, '0')}`);

describe('GB and money removed per month', () => {
  let run: Awaited<ReturnType<typeof runReport>>;
  beforeAll(async () => {
    run = await runReport({ FINDINGS_TABLE: dynamo.table, PRICES_FILE: PRICES });
  });

  it('counts only confirmed deletions of the reported projects, per UTC calendar month, priced like the rest of the report', () => {
    const removed = run.report.removed;
    expect(removed?.since).toBe('2026-01-01T00:00:00.000Z');
    expect(removed?.months.map((m) => m.month)).toEqual(months(1));
    const shown = Object.fromEntries((removed?.months ?? []).filter((m) => m.count > 0).map((m) => [m.month, m]));
    // November: 100 GB available × 0.05 + 20 GB error × 0.01; the refused 500, failed 600, marked 700 and p3's 900 GB are not in it.
    expect(shown).toEqual({
      '2026-10': { month: '2026-10', count: 1, gb: 30, savedPerMonth: 3 },
      '2026-11': { month: '2026-11', count: 2, gb: 120, savedPerMonth: 5.2 },
      '2026-12': { month: '2026-12', count: 1, gb: 7, savedPerMonth: 0.35 },
    });
    expect(removed?.months.filter((m) => m.count === 0).every((m) => m.gb === 0 && m.savedPerMonth === 0)).toBe(true);
    expect(removed?.unreadable).toBe(0);
  });

  it('gives the same figures as OpenMetrics gauges by month, in bytes and in the currency', () => {
    const samples = run.prom.split('\n');
    expect(samples).toContain('evs_cleanup_removed_snapshots{month="2026-11"} 2');
    expect(samples).toContain(`evs_cleanup_removed_size_bytes{month="2026-11"} ${120 * 1_073_741_824}`);
    expect(samples).toContain('evs_cleanup_removed_monthly_cost{month="2026-11",currency="EUR"} 5.2');
    expect(samples).toContain('evs_cleanup_removed_monthly_cost{month="2026-12",currency="EUR"} 0.35');
    expect(samples.filter((l) => l.startsWith('evs_cleanup_removed_size_bytes{'))).toHaveLength(12);
  });

  it('shows a table and a chart of the months in the page, the money labelled an upper bound', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(String(e)));
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      await page.setContent(run.html, { waitUntil: 'load' });
      const rows = await page.$$eval('#removed tbody tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
      expect(rows).toContainEqual(['2026-11', '2', '120 GB', 'EUR 5.20']);
      expect(rows).toContainEqual(['2026-10', '1', '30 GB', 'EUR 3.00']);
      expect(rows).toContainEqual(['2026-05', '0', '0 GB', 'EUR 0.00']);
      expect(rows.at(-1)).toEqual(['total', '4', '157 GB', 'EUR 8.55']);
      expect(await page.$eval('#removed thead', (h) => h.textContent)).toContain('at most');
      expect(await page.$eval('#removed-note', (p) => p.textContent)).toMatch(
        /refused and failed deletes are not counted.*upper bound/,
      );
      const chart = (await readCharts(page))['chart-removed'];
      expect(chart?.labels).toEqual(months(1));
      expect(chart?.datasets.map((d) => d.label)).toEqual(['GB removed', 'saves per month, at most (EUR)']);
      expect(chart?.datasets[0]?.data.slice(9)).toEqual([30, 120, 7]);
      expect(chart?.datasets[1]?.data.slice(9)).toEqual([3, 5.2, 0.35]);
      expect(chart?.painted).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    } finally {
      await browser?.close();
    }
  }, 60_000);

  it('shows GB without money when no prices are configured', async () => {
    const { report, html, prom } = await runReport({ FINDINGS_TABLE: dynamo.table });
    expect(report.removed?.months.find((m) => m.month === '2026-11')).toEqual({ month: '2026-11', count: 2, gb: 120 });
    expect(html).toContain('id="removed"');
    expect(html).not.toContain('saves per month, at most</th>');
    expect(prom).toContain('evs_cleanup_removed_size_bytes{month="2026-11"}');
    expect(prom).not.toContain('evs_cleanup_removed_monthly_cost');
  });

  it('has no removed section at all without FINDINGS_TABLE', async () => {
    const { report, html, prom } = await runReport({ PRICES_FILE: PRICES });
    expect(report.removed).toBeUndefined();
    expect(html).not.toContain('id="removed"');
    expect(html).not.toContain('<canvas id="chart-removed"');
    expect(prom).not.toContain('evs_cleanup_removed');
  });
});
