/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The fleet report: what a scan adds up to per project, the fleet's totals, and the same numbers
 * as JSON, CSV, OpenMetrics and an HTML page whose charts (Chart.js, in a real headless Chromium)
 * show what the JSON says.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { parseUpstreamTime } from '../../lib/domain/times';
import { chartJsSource } from '../../lib/report/chart-source';
import { assembleFleetReport, type FleetReport, type ProjectReport, projectReportOf } from '../../lib/report/fleet';
import { renderCsv, renderHtml, renderOpenMetrics } from '../../lib/report/render';
import { createPrintingSink } from '../../lib/scan/dry-run';
import { AGE_BUCKETS, TOP_N } from '../../lib/scan/stats';
import { buildScanner } from '../../lib/wiring/scanner';
import { loadScanSettings } from '../../lib/wiring/settings/scanner';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { launchChromium } from '../helpers/browser';
import { readCharts } from '../helpers/charts';

const DAY = 86_400_000;
let fleet: Fleet;
let emulator: RunningEmulator;
let report: FleetReport;
let parts: ProjectReport[];

beforeAll(async () => {
  fleet = generateFleet({ seed: 'report', size: 3_000, projects: 3, now: Date.parse('2026-12-01T12:00:00Z') });
  // A snapshot name that tries to break out of the page.
  const first = fleet.projects[0]?.snapshots[0] as Snapshot;
  first.name = '</script><img src=x onerror="window.pwned=1">';
  first.size = 4_000;
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } });
  const settings = loadScanSettings({
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    SCAN_PROJECT_IDS: fleet.projects.map((p) => p.projectId).join(','),
  });
  const result = await buildScanner(settings, {
    now: () => fleet.now,
    dryRun: true,
    createSink: () => createPrintingSink(() => undefined),
  })(Date.now() + 60_000);
  expect(result.ok).toBe(true);
  parts = result.projects
    .map((p) => projectReportOf(p, result.scanId))
    .filter((p): p is ProjectReport => p !== undefined);
  report = assembleFleetReport(parts, new Date(fleet.now));
});
afterAll(() => emulator.close());

const all = () => fleet.projects.flatMap((p) => p.snapshots.map((s) => ({ ...s, projectId: p.projectId })));
const ageDays = (s: Snapshot) => Math.floor((fleet.now - parseUpstreamTime(s.created_at)) / DAY);

describe('the fleet report', () => {
  it('adds up count and GB by status, by age bucket and by finding type, as the fleet is', () => {
    const t = report.totals;
    expect(t).toMatchObject({ projects: 3, snapshots: 3_000, gb: all().reduce((n, s) => n + s.size, 0) });
    const byStatus: Record<string, { count: number; gb: number }> = {};
    for (const s of all()) {
      const e = (byStatus[s.status] ??= { count: 0, gb: 0 });
      e.count++;
      e.gb += s.size;
    }
    expect({ ...t.byStatus }).toEqual(byStatus);
    const limits = [7, 30, 90, 180, 365, 730, Number.POSITIVE_INFINITY];
    expect(t.byAge.map((b) => b.bucket)).toEqual([...AGE_BUCKETS.map((b) => b.label), 'unknown age']);
    expect(t.byAge.map((b) => b.count)).toEqual([
      ...limits.map((limit, i) => all().filter((s) => ageDays(s) < limit && ageDays(s) >= (limits[i - 1] ?? 0)).length),
      0,
    ]);
    const byType: Record<string, { count: number; gb: number }> = {};
    for (const s of all()) {
      const type = fleet.expected.get(s.id);
      if (!type) continue;
      const e = (byType[type] ??= { count: 0, gb: 0 });
      e.count++;
      e.gb += s.size;
    }
    expect({ ...t.byFindingType }).toEqual(byType);
  });

  it('names the oldest and the largest snapshots of the fleet and of each project', () => {
    const oldest = [...all()].sort((a, b) => (a.created_at < b.created_at ? -1 : 1)).slice(0, TOP_N);
    expect(report.totals.oldest.map((s) => s.id)).toEqual(oldest.map((s) => s.id));
    expect(report.totals.oldest[0]).toMatchObject({
      ageDays: ageDays(oldest[0] as Snapshot),
      projectId: oldest[0]?.projectId,
    });
    const largest = [...all()].sort((a, b) => b.size - a.size || (a.id < b.id ? -1 : 1)).slice(0, TOP_N);
    expect(report.totals.largest.map((s) => s.sizeGb)).toEqual(largest.map((s) => s.size));
    expect(report.totals.largest[0]).toMatchObject({ id: fleet.projects[0]?.snapshots[0]?.id, sizeGb: 4_000 });
    for (const p of report.projects) {
      const own = fleet.projects.find((f) => f.projectId === p.projectId)?.snapshots ?? [];
      expect(p.stats.largest.map((s) => s.sizeGb)).toEqual(
        [...own]
          .sort((a, b) => b.size - a.size)
          .slice(0, TOP_N)
          .map((s) => s.size),
      );
      expect(p.stats.oldest[0]?.createdAt).toBe(
        [...own].sort((a, b) => (a.created_at < b.created_at ? -1 : 1))[0]?.created_at,
      );
    }
  });

  it('writes one CSV row per project and a TOTAL row, with the same numbers', () => {
    const rows = renderCsv(report)
      .trimEnd()
      .split('\r\n')
      .map((line) => line.split(','));
    const header = rows[0] as string[];
    const col = (name: string) => header.indexOf(name);
    expect(rows).toHaveLength(1 + 3 + 1);
    const total = rows[4] as string[];
    expect(total[0]).toBe('TOTAL');
    expect(Number(total[col('snapshots')])).toBe(3_000);
    expect(Number(total[col('finding:ORPHANED:count')])).toBe(report.totals.byFindingType.ORPHANED?.count);
    expect(Number(total[col('status:available:gb')])).toBe(report.totals.byStatus.available?.gb);
    for (const p of report.projects) {
      const row = rows.find((r) => r[2] === p.projectId) as string[];
      expect(Number(row[col('gb')])).toBe(p.stats.gb);
      expect(Number(row[col('age:< 7 days:count')])).toBe(p.stats.byAge[0]?.count);
    }
  });

  it('quotes CSV cells, and keeps a spreadsheet from running a value read back from storage as a formula', () => {
    const base = parts[0] as ProjectReport;
    const hostile = assembleFleetReport(
      [{ ...base, region: '=cmd|"/c calc"!A1', stats: { ...base.stats, byStatus: { 'a,b': { count: 1, gb: 2 } } } }],
      new Date(fleet.now),
    );
    const lines = renderCsv(hostile).split('\r\n');
    expect(lines[0]).toContain('"status:a,b:count","status:a,b:gb"');
    expect(lines[1]).toContain(`,"'=cmd|""/c calc""!A1",${base.projectId},`);
  });

  it('gives the same counts as OpenMetrics gauges', () => {
    const text = renderOpenMetrics(report);
    expect(text.endsWith('# EOF\n')).toBe(true);
    const samples = text.split('\n').filter((l) => l && !l.startsWith('#'));
    const sum = (name: string, filter = '') =>
      samples
        .filter((l) => l.startsWith(`${name}{`) && l.includes(filter))
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    expect(sum('evs_snapshots')).toBe(3_000);
    expect(sum('evs_snapshot_size_bytes')).toBe(report.totals.gb * 1_073_741_824);
    expect(sum('evs_snapshot_findings', 'finding_type="STALE"')).toBe(report.totals.byFindingType.STALE?.count);
    expect(sum('evs_snapshots_by_age', 'bucket="> 2 years"')).toBe(report.totals.byAge[6]?.count);
    expect(samples.filter((l) => l.startsWith('evs_project_last_scan_timestamp_seconds{'))).toHaveLength(3);
  });
});

describe('the HTML report in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  it("renders its four charts from the JSON, with the JSON's numbers, and its tables, offline and without errors", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on(
      'request',
      (r) => !r.url().startsWith('data:') && !r.url().startsWith('about:') && problems.push(`request to ${r.url()}`),
    );
    await page.setContent(renderHtml(report, chartJsSource()), { waitUntil: 'load' });
    expect(problems).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

    const charts = await readCharts(page);
    const t = report.totals;
    const round = (gb: number) => Math.round(gb * 100) / 100;
    const statuses = Object.keys(t.byStatus).sort(
      (a, b) => (t.byStatus[b]?.gb ?? 0) - (t.byStatus[a]?.gb ?? 0) || (a < b ? -1 : 1),
    );
    expect(charts['chart-status']).toMatchObject({
      labels: statuses,
      datasets: [{ label: 'GB', data: statuses.map((s) => round(t.byStatus[s]?.gb ?? 0)) }],
    });
    expect(charts['chart-age']).toMatchObject({
      labels: t.byAge.map((b) => b.bucket),
      datasets: [
        { label: 'snapshots', data: t.byAge.map((b) => b.count) },
        { label: 'GB', data: t.byAge.map((b) => round(b.gb)) },
      ],
    });
    const types = ['ERROR_STATUS', 'STUCK', 'STALE', 'UNKNOWN_STATUS', 'ORPHANED', 'EXCESS_RETENTION'];
    expect(charts['chart-findings']).toMatchObject({
      labels: types,
      datasets: [
        { data: types.map((k) => t.byFindingType[k]?.count ?? 0) },
        { data: types.map((k) => round(t.byFindingType[k]?.gb ?? 0)) },
      ],
    });
    const flagged = (p: ProjectReport) => Object.values(p.stats.byFindingType).reduce((n, v) => n + v.gb, 0);
    expect(charts['chart-projects']?.datasets).toEqual([
      { label: 'flagged GB', data: report.projects.map((p) => round(flagged(p))) },
      { label: 'other GB', data: report.projects.map((p) => round(p.stats.gb - flagged(p))) },
    ]);
    for (const [id, chart] of Object.entries(charts))
      if (!id.startsWith('chart-trend-')) expect(chart.painted).toBeGreaterThan(1_000);

    expect(await page.locator('#total-snapshots b').textContent()).toBe('3,000');
    expect(await page.locator('#projects tbody tr').count()).toBe(3);
    expect(await page.locator('#largest tbody tr').first().locator('td').nth(1).textContent()).toBe(
      '</script><img src=x onerror="window.pwned=1">',
    );
    // Each project has its own section: its statuses, ages and findings, its oldest and largest.
    expect(await page.locator('details.project').count()).toBe(3);
    const first = report.projects[0] as ProjectReport;
    const section = page.locator(`details.project[data-project="${first.projectId}"]`);
    await section.locator('summary').click();
    const rows = await section.locator('.grid table').first().locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(Object.keys(first.stats.byStatus).length);
    const [status, most] = Object.entries(first.stats.byStatus).sort(([, a], [, b]) => b.gb - a.gb)[0] as [
      string,
      { count: number; gb: number },
    ];
    expect(rows[0]).toBe(`${status}${most.count.toLocaleString('en-US')}${most.gb.toLocaleString('en-US')} GB`);
    expect(await section.locator('table').nth(4).locator('tbody tr').first().locator('td').first().textContent()).toBe(
      first.stats.largest[0]?.id,
    );
    await page.close();
  });
});
