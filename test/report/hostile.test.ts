/// <reference lib="dom" />
/**
 * Snapshot names, metadata and anything else read back from the cloud or from storage are written by
 * anyone with access: the CSV never hands a spreadsheet a formula, and the HTML runs no script but
 * its own, even one that got past escaping (its Content-Security-Policy allows two hashes only).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { readTimes } from '../../lib/domain/times';
import { chartJsSource } from '../../lib/report/chart-source';
import { assembleFleetReport, type ProjectReport } from '../../lib/report/fleet';
import { FONT_STACK, renderCsv, renderHtml } from '../../lib/report/render';
import { createStatsAccumulator } from '../../lib/scan/stats';
import { launchChromium } from '../helpers/browser';

function part(target: string, region: string, projectId: string, name: string, owner: string): ProjectReport {
  const stats = createStatsAccumulator(Date.parse('2026-12-01T00:00:00Z'));
  const s: Snapshot = {
    id: 'aaaaaaaa-0000-0000-0000-000000000001',
    status: 'error',
    name,
    description: null,
    created_at: '2026-01-01T00:00:00.000000',
    updated_at: null,
    metadata: { owner },
    volume_id: 'v',
    size: 12,
  };
  stats.add(s, readTimes(s), {
    type: 'ERROR_STATUS',
    severity: 'high',
    rule: 'r',
    reason: 'x',
    thresholdMinutes: null,
    ageMinutes: null,
    measuredFrom: 'created_at',
  });
  return {
    reportVersion: '1.0',
    target,
    region,
    projectId,
    scanId: 's',
    scannedAt: '2026-12-01T00:00:00.000Z',
    stats: stats.result(),
  };
}

describe('the CSV', () => {
  it('neutralises every cell that starts with =, +, - or @', () => {
    const report = assembleFleetReport(
      [part('=HYPERLINK("http://x")', '+1+1', '-2', 'n', 'o'), part('@SUM(A1)', 'eu-de', 'p', 'n', 'o')],
      new Date('2026-12-01T00:00:00Z'),
    );
    const rows = renderCsv(report).trimEnd().split('\r\n');
    expect(rows[1]?.startsWith('"\'=HYPERLINK(""http://x"")",\'+1+1,\'-2,')).toBe(true);
    expect(rows[2]?.startsWith("'@SUM(A1),eu-de,p,")).toBe(true);
    for (const row of rows) for (const cell of row.split(',')) expect(cell).not.toMatch(/^"?[=+@]/);
  });
});

describe('the HTML in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  it('runs only its own two scripts, even one injected past the escaping, and shows hostile text as text', async () => {
    const name = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">';
    const report = assembleFleetReport(
      [part('lab', 'eu-de', 'p1', name, '"><svg onload="window.pwned=3">')],
      new Date('2026-12-01T00:00:00Z'),
    );
    const page = renderHtml(report, chartJsSource());
    expect(page).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-[A-Za-z0-9+/=]+&#39; &#39;sha256-[A-Za-z0-9+/=]+&#39;;/,
    );
    // What a missed escape would look like: an inline script and a handler in the page itself.
    const injected = page.replace(
      '</body>',
      '<script>window.pwned=4</script><img src="data:," onload="window.pwned=5"></body>',
    );
    const tab = await browser.newPage();
    const violations: string[] = [];
    tab.on('console', (m) => m.text().includes('Content Security Policy') && violations.push(m.text()));
    await tab.setContent(injected, { waitUntil: 'load' });
    expect(await tab.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(violations.length).toBeGreaterThan(0);
    // Its own scripts did run: the charts are there.
    expect(await tab.evaluate(() => document.querySelectorAll('canvas').length)).toBeGreaterThan(5);
    expect(
      await tab.evaluate(
        () =>
          (window as unknown as { Chart?: { getChart(c: Element): unknown } }).Chart?.getChart(
            document.querySelector('#chart-status') as Element,
          ) !== undefined,
      ),
    ).toBe(true);
    expect(await tab.locator('#largest-flagged tbody tr td').nth(1).textContent()).toBe(name);
    await tab.close();
  });

  it('asks for fonts with CJK faces, so Chinese names render where the viewer has them', async () => {
    const report = assembleFleetReport(
      [part('lab', 'eu-de', 'p1', '数据库每日备份', '数据平台组')],
      new Date('2026-12-01T00:00:00Z'),
    );
    const tab = await browser.newPage();
    await tab.setContent(renderHtml(report, chartJsSource()), { waitUntil: 'load' });
    const family = await tab.evaluate(() => getComputedStyle(document.body).fontFamily);
    expect(family).toBe(FONT_STACK);
    for (const face of ['Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC']) expect(family).toContain(face);
    expect(await tab.locator('#owners tbody td').first().textContent()).toBe('数据平台组');
    await tab.close();
  });
});
