/**
 * Money in the fleet report: every amount is GB × the price for that target, region and status,
 * by project, target, finding type, owner and snapshot; without prices there is no money at all.
 */
import { describe, expect, it } from 'vitest';
import type { Classification } from '../../lib/domain/finding';
import type { Snapshot } from '../../lib/domain/snapshot';
import { readTimes } from '../../lib/domain/times';
import { parsePrices } from '../../lib/pricing/load';
import { assembleFleetReport, type ProjectReport } from '../../lib/report/fleet';
import { renderCsv, renderHtml, renderOpenMetrics } from '../../lib/report/render';
import { createStatsAccumulator, MAX_OWNERS, OTHER_OWNERS } from '../../lib/scan/stats';

const NOW = Date.parse('2026-12-01T00:00:00Z');
const finding = (type: Classification['type']): Classification => ({
  type,
  severity: 'high',
  rule: 'r',
  reason: 'x',
  thresholdMinutes: null,
  ageMinutes: null,
  measuredFrom: 'created_at',
});
let n = 0;
const snap = (status: string, size: number, owner?: string): Snapshot => ({
  id: `00000000-0000-0000-0000-${String(++n).padStart(12, '0')}`,
  status,
  name: `s${n}`,
  description: null,
  created_at: '2026-01-01T00:00:00.000000',
  updated_at: null,
  metadata: owner ? { owner } : {},
  volume_id: 'v',
  size,
});

function part(
  target: string,
  region: string,
  projectId: string,
  rows: Array<[Snapshot, Classification['type'] | null]>,
  projectOwner?: string,
): ProjectReport {
  const stats = createStatsAccumulator(NOW, { ownerOf: (s) => s.metadata.owner ?? projectOwner ?? 'unowned' });
  for (const [s, type] of rows) stats.add(s, readTimes(s), type ? finding(type) : undefined);
  return {
    reportVersion: '1.0',
    target,
    region,
    projectId,
    scanId: `scan-${projectId}`,
    scannedAt: '2026-12-01T00:00:00.000Z',
    stats: stats.result(),
    transitions: { opened: 0, resolved: 0 },
  };
}

const prices = parsePrices(
  'currency: EUR\npricePerGbMonth: 0.05\nrules:\n  - { status: error, pricePerGbMonth: 0.01 }\n  - { target: t2, pricePerGbMonth: 0.1 }\n',
  'p.yml',
);
const parts = [
  part(
    't1',
    'eu-de',
    'p1',
    [
      [snap('available', 100, 'ana'), 'STALE'],
      [snap('error', 50, 'ana'), 'ERROR_STATUS'],
      [snap('available', 200), null],
    ],
    'ops',
  ),
  part('t2', 'eu-nl', 'p2', [
    [snap('available', 10, 'bo'), 'ORPHANED'],
    [snap('error', 40), 'ERROR_STATUS'],
    [snap('available', 300, 'ana'), null],
  ]),
];

describe('money in the fleet report', () => {
  const report = assembleFleetReport(parts, new Date(NOW), { prices });
  const m = report.money;

  it('prices each project by its target, region and each status, and adds the flagged ones up by finding type', () => {
    // p1: 300 GB available × 0.05 + 50 GB error × 0.01; flagged: 100 × 0.05 + 50 × 0.01.
    expect(m?.byProject).toEqual([
      { target: 't1', region: 'eu-de', projectId: 'p1', perMonth: 15.5, flaggedPerMonth: 5.5 },
      // p2: error × 0.01 (the first rule wins over the target's), the rest × 0.1.
      { target: 't2', region: 'eu-nl', projectId: 'p2', perMonth: 31.4, flaggedPerMonth: 1.4 },
    ]);
    expect(m).toMatchObject({ currency: 'EUR', basis: 'size', perMonth: 46.9, flaggedPerMonth: 6.9 });
    expect(m?.byTarget).toEqual({
      t1: { perMonth: 15.5, flaggedPerMonth: 5.5 },
      t2: { perMonth: 31.4, flaggedPerMonth: 1.4 },
    });
    expect(m?.byFindingType).toEqual({ STALE: 5, ERROR_STATUS: 0.9, ORPHANED: 1 });
  });

  it("gives each owner its snapshots, flagged ones and money: metadata first, else the project's owner, else unowned", () => {
    expect(report.totals.byOwner).toEqual({
      ana: { count: 3, gb: 450, flaggedCount: 2, flaggedGb: 150 },
      unowned: { count: 1, gb: 40, flaggedCount: 1, flaggedGb: 40 },
      bo: { count: 1, gb: 10, flaggedCount: 1, flaggedGb: 10 },
      ops: { count: 1, gb: 200, flaggedCount: 0, flaggedGb: 0 },
    });
    expect(Object.keys(report.totals.byOwner)).toEqual(['ana', 'unowned', 'bo', 'ops']);
    expect(m?.byOwner.ana).toEqual({ perMonth: 35.5, flaggedPerMonth: 5.5 });
    expect(m?.byOwner.unowned).toEqual({ perMonth: 0.4, flaggedPerMonth: 0.4 });
  });

  it('names the largest flagged snapshots with what each costs a month', () => {
    expect(report.totals.largestFlagged.map((s) => [s.sizeGb, s.findingType, s.owner, s.monthlyCost])).toEqual([
      [100, 'STALE', 'ana', 5],
      [50, 'ERROR_STATUS', 'ana', 0.5],
      [40, 'ERROR_STATUS', 'unowned', 0.4],
      [10, 'ORPHANED', 'bo', 1],
    ]);
  });

  it("shows the money in the page's cards and tables and in the CSV, labelled as an upper bound", () => {
    const page = renderHtml(report, '');
    expect(page).toContain(
      '<div class="card money" id="saved-month">saved per month if the flagged ones were removed, at most<b>EUR 6.90</b></div>',
    );
    expect(page).toContain('Amounts are upper bounds.');
    expect(page).toContain(
      '<tr><td>ana</td><td class="n">3</td><td class="n">450 GB</td><td class="n">2</td><td class="n">150 GB</td><td class="n">EUR 35.50</td><td class="n">EUR 5.50</td></tr>',
    );
    expect(page).toContain(
      '<tr><td>STALE</td><td class="n">1</td><td class="n">100 GB</td><td class="n">EUR 5.00</td></tr>',
    );
    const csv = renderCsv(report).trimEnd().split('\r\n');
    expect(csv[0]?.endsWith(',currency,cost_per_month_upper_bound,flagged_cost_per_month_upper_bound')).toBe(true);
    expect(csv[1]?.endsWith(',EUR,15.5,5.5')).toBe(true);
    expect(csv[3]?.startsWith('TOTAL,')).toBe(true);
    expect(csv[3]?.endsWith(',EUR,46.9,6.9')).toBe(true);
  });

  it('shows no money at all without prices', () => {
    const plain = assembleFleetReport(parts, new Date(NOW));
    expect(plain.money).toBeUndefined();
    expect(plain.totals.largestFlagged[0]?.monthlyCost).toBeUndefined();
    const page = renderHtml(plain, '');
    expect(page).not.toContain('id="cost-month"');
    expect(page).not.toMatch(/EUR|USD|per month<\/th>/);
    expect(page).toContain('No prices configured, so no money is shown');
    expect(renderCsv(plain)).not.toContain('cost_per_month');
    expect(renderOpenMetrics(plain)).not.toContain('monthly_cost');
  });

  it('reads parts written before owners and money were kept, counting their snapshots as unowned', () => {
    const old = parts[0] as ProjectReport;
    const { byOwner: _o, byFindingTypeStatus: _f, largestFlagged: _l, ...stats } = old.stats;
    const { transitions: _t, ...rest } = old;
    const report = assembleFleetReport([{ ...rest, stats }], new Date(NOW), { prices });
    expect(report.totals.byOwner).toEqual({ unowned: { count: 3, gb: 350, flaggedCount: 0, flaggedGb: 0 } });
    expect(report.money?.perMonth).toBe(15.5);
    expect(renderHtml(report, '')).toContain('EUR 15.50');
  });

  it('names at most MAX_OWNERS owners, adding the rest up, whatever the metadata holds', () => {
    const many = Array.from({ length: MAX_OWNERS + 50 }, (_, i): [Snapshot, null] => [
      snap('available', 1, `owner-${i}`),
      null,
    ]);
    const one = part('t1', 'eu-de', 'p3', many);
    expect(Object.keys(one.stats.byOwner ?? {})).toHaveLength(MAX_OWNERS + 1);
    expect(one.stats.byOwner?.[OTHER_OWNERS]?.byStatus.available).toEqual({ count: 50, gb: 50 });
    const fleet = assembleFleetReport(
      [
        one,
        part(
          't2',
          'eu-de',
          'p4',
          many.map(([s]) => [{ ...s, metadata: { owner: `x-${s.metadata.owner}` } }, null]),
        ),
      ],
      new Date(NOW),
    );
    expect(Object.keys(fleet.totals.byOwner)).toHaveLength(MAX_OWNERS + 1);
    expect(Object.values(fleet.totals.byOwner).reduce((sum, o) => sum + o.count, 0)).toBe(2 * (MAX_OWNERS + 50));
  });
});
