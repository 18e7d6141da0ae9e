/// <reference lib="dom" />
/**
 * `npm run report -- --out DIR --prices FILE`, run three times into the same folder while the fleet
 * changes: the folder keeps its history, and the page (in headless Chromium) draws the trends from
 * the three runs, with money, owners and hostile names shown as text.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import type { FleetReport } from '../../lib/report/fleet';
import type { TrendFile } from '../../lib/report/trend';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { launchChromium } from '../helpers/browser';
import { readCharts } from '../helpers/charts';
import { runScript } from '../helpers/cli';

const HOSTILE = '<img src=x onerror="window.pwned=1"></script><script>window.pwned=2</script>';
let fleet: Fleet;
let emulator: RunningEmulator;
let dir: string;
let browser: Browser;

beforeAll(async () => {
  fleet = generateFleet({ seed: 'trend', size: 900, projects: 2, now: Date.now() });
  // Owners: some snapshots name theirs in metadata, the rest take their project's from the targets file.
  for (const p of fleet.projects)
    p.snapshots.forEach((s, i) => {
      if (i % 3 === 0) s.metadata = { ...s.metadata, owner: 'storage-team' };
      if (i % 3 === 1) s.metadata = { ...s.metadata, owner: '数据平台组' };
      if (i % 3 === 2) s.metadata = Object.fromEntries(Object.entries(s.metadata).filter(([k]) => k !== 'owner'));
    });
  const flagged = fleet.projects[0]?.snapshots.find((s) => fleet.expected.has(s.id)) as Snapshot;
  flagged.name = HOSTILE;
  flagged.size = 5_000;
  const chinese = fleet.projects[1]?.snapshots.find((s) => fleet.expected.has(s.id)) as Snapshot;
  chinese.name = '数据库每日备份';
  chinese.size = 4_000;
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } });
  dir = mkdtempSync(join(tmpdir(), 'report-trend-'));
  const [a, b] = fleet.projects.map((p) => p.projectId) as [string, string];
  writeFileSync(
    join(dir, 'targets.yml'),
    `targets:\n  - name: lab\n    endpoint: ${emulator.url}\n    region: eu-de\n    auth: { mode: noauth }\n    owner: infra-team\n    projects:\n      - { id: ${a}, owner: platform-team }\n      - ${b}\n`,
  );
  writeFileSync(join(dir, 'prices.yml'), 'currency: USD\npricePerGbMonth: 0.05\n');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await emulator?.close();
});

const runReport = () =>
  runScript('scripts/report.ts', ['--out', join(dir, 'out'), '--prices', join(dir, 'prices.yml')], {
    SCAN_TARGETS_FILE: join(dir, 'targets.yml'),
    EVS_RETRY_BASE_MS: '1',
    LOG_LEVEL: 'silent',
  });

describe('three report runs into one folder', () => {
  it('keep a history the page draws as trends: snapshots, GB, money, open findings, new against resolved, flagged GB per owner', async () => {
    const first = await runReport();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(
      /at most USD [\d,.]+ a month; removing the flagged ones would save at most USD [\d,.]+ a month/,
    );

    // Between runs: 25 flagged snapshots deleted, then 10 healthy ones fail.
    const [p0, p1] = fleet.projects as [Fleet['projects'][0], Fleet['projects'][0]];
    const removed = p0.snapshots.filter((s) => fleet.expected.has(s.id) && s.name !== HOSTILE).slice(0, 25);
    for (const s of removed) expect(emulator.store.remove(p0.projectId, s.id)).toBe(true);
    const second = await runReport();
    expect(second.code, second.stderr).toBe(0);
    const failing = p1.snapshots.filter((s) => !fleet.expected.has(s.id) && s.status === 'available').slice(0, 10);
    for (const s of failing)
      expect(emulator.store.resetStatus(p1.projectId, s.id, 'error', new Date().toISOString().slice(0, 19))).toBe(true);
    const third = await runReport();
    expect(third.code, third.stderr).toBe(0);

    const trend = JSON.parse(readFileSync(join(dir, 'out/history/trend.json'), 'utf8')) as TrendFile;
    expect(trend.points).toHaveLength(3);
    const open = (i: number) => Object.values(trend.points[i]?.openByType ?? {}).reduce((n, v) => n + v, 0);
    expect([open(0), open(1), open(2)]).toEqual([
      fleet.expected.size,
      fleet.expected.size - 25,
      fleet.expected.size - 15,
    ]);
    expect(trend.points.map((p) => [p.opened, p.resolved])).toEqual([
      [null, null],
      [0, 25],
      [10, 0],
    ]);
    const report = JSON.parse(readFileSync(join(dir, 'out/fleet-report.json'), 'utf8')) as FleetReport;
    expect(report.money?.flaggedPerMonth).toBe(trend.points[2]?.flaggedPerMonth);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('dialog', (d) => problems.push(`dialog ${d.message()}`));
    page.on(
      'request',
      (r) => !r.url().startsWith('file:') && !r.url().startsWith('data:') && problems.push(`request to ${r.url()}`),
    );
    await page.goto(pathToFileURL(join(dir, 'out/fleet-report.html')).href, { waitUntil: 'load' });
    expect(problems).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

    const charts = await readCharts(page);
    const points = trend.points;
    const round = (n: number) => Math.round(n * 100) / 100;
    expect(charts['chart-trend-size']?.labels).toHaveLength(3);
    expect(charts['chart-trend-size']?.datasets[0]).toEqual({
      label: 'snapshots',
      data: points.map((p) => p.snapshots),
    });
    expect(charts['chart-trend-size']?.datasets[2]).toEqual({
      label: 'flagged GB',
      data: points.map((p) => round(p.flaggedGb)),
    });
    expect(charts['chart-trend-money']?.datasets.map((d) => d.data)).toEqual([
      points.map((p) => round(p.perMonth as number)),
      points.map((p) => round(p.flaggedPerMonth as number)),
    ]);
    const errorStatus = charts['chart-trend-findings']?.datasets.find((d) => d.label === 'ERROR_STATUS');
    expect(errorStatus?.data).toEqual(points.map((p) => p.openByType.ERROR_STATUS ?? 0));
    expect((errorStatus?.data[2] as number) - (errorStatus?.data[1] as number)).toBe(10);
    const days = charts['chart-trend-changes'];
    expect(days?.datasets.map((d) => (d.data as number[]).reduce((n, v) => n + v, 0))).toEqual([10, 25]);
    const owners = charts['chart-trend-owners'];
    expect(owners?.datasets.map((d) => d.label).sort()).toEqual(
      ['infra-team', 'platform-team', 'storage-team', '数据平台组']
        .filter((o) => (points[2]?.flaggedGbByOwner[o] ?? 0) > 0)
        .sort(),
    );
    for (const d of owners?.datasets ?? [])
      expect(d.data).toEqual(points.map((p) => round(p.flaggedGbByOwner[d.label] ?? 0)));
    for (const [id, chart] of Object.entries(charts)) expect(chart.painted, id).toBeGreaterThan(1_000);

    // Money in the tables, labelled as an upper bound; owners from metadata and the targets file.
    expect(await page.locator('#money-note').textContent()).toContain('Amounts are upper bounds');
    expect(await page.locator('#saved-month b').textContent()).toBe(
      `USD ${round(report.money?.flaggedPerMonth as number).toLocaleString('en-US', { minimumFractionDigits: 2 })}`,
    );
    expect(await page.locator('#owners tbody tr td:first-child').allTextContents()).toEqual(
      expect.arrayContaining(['storage-team', '数据平台组', 'platform-team', 'infra-team']),
    );
    const top = page.locator('#largest-flagged tbody tr').first().locator('td');
    expect(await top.nth(1).textContent()).toBe(HOSTILE);
    expect(await top.nth(9).textContent()).toBe('USD 250.00');
    expect(await page.locator('#largest-flagged tbody tr').nth(1).locator('td').nth(1).textContent()).toBe(
      '数据库每日备份',
    );

    // The picture in docs/report.md: the cards, the charts and the trends.
    const shot = join(dir, 'report.png');
    await page.setViewportSize({ width: 1200, height: 1500 });
    await page.screenshot({ path: shot, clip: { x: 0, y: 0, width: 1200, height: 1500 } });
    expect(statSync(shot).size).toBeLessThan(200 * 1024);
    if (process.env.REPORT_SCREENSHOT) {
      mkdirSync('docs/img', { recursive: true });
      copyFileSync(shot, process.env.REPORT_SCREENSHOT);
    }
    await page.close();
  });
});
