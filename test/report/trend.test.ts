/**
 * The kept trend: a point per report run, each scan's transitions counted once, 90 days kept, and a
 * trend file that cannot be read started again and said, never a failed report.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleFleetReport, type ProjectReport } from '../../lib/report/fleet';
import { publishFleetReport } from '../../lib/report/publish';
import { createFileReportStore, TREND_KEY } from '../../lib/report/store';
import { appendTrendPoint, changesPerDay, compareFlagged, parseTrend, type TrendFile } from '../../lib/report/trend';
import { createStatsAccumulator } from '../../lib/scan/stats';

const empty: TrendFile = { version: 1, points: [], scans: {} };
const part = (projectId: string, scanId: string, opened: number, resolved: number): ProjectReport => ({
  reportVersion: '1.0',
  target: 't',
  region: 'r',
  projectId,
  scanId,
  scannedAt: '2026-12-01T00:00:00.000Z',
  stats: createStatsAccumulator(0).result(),
  transitions: { opened, resolved },
});
const at = (iso: string, parts: ProjectReport[]) => assembleFleetReport(parts, new Date(iso));

describe('the kept trend', () => {
  it("counts each scan's opened and resolved findings once, however many reports see it, and knows none for the first point", () => {
    let trend = appendTrendPoint(empty, at('2026-12-01T00:00:00Z', [part('a', 's1', 5, 0), part('b', 's1', 2, 0)]));
    trend = appendTrendPoint(trend, at('2026-12-01T00:15:00Z', [part('a', 's2', 1, 3), part('b', 's1', 2, 0)]));
    trend = appendTrendPoint(trend, at('2026-12-01T00:30:00Z', [part('a', 's2', 1, 3), part('b', 's1', 2, 0)]));
    trend = appendTrendPoint(trend, at('2026-12-02T00:00:00Z', [part('a', 's3', 0, 4), part('b', 's4', 6, 1)]));
    expect(trend.points.map((p) => [p.opened, p.resolved])).toEqual([
      [null, null],
      [1, 3],
      [0, 0],
      [6, 5],
    ]);
    expect(changesPerDay(trend.points)).toEqual([
      { day: '2026-12-01', opened: 1, resolved: 3 },
      { day: '2026-12-02', opened: 6, resolved: 5 },
    ]);
    // A caller that compared the flagged snapshots itself says what changed.
    expect(
      appendTrendPoint(trend, at('2026-12-02T01:00:00Z', []), { opened: 9, resolved: 8 }).points.at(-1),
    ).toMatchObject({ opened: 9, resolved: 8 });
  });

  it('keeps 90 days of points', () => {
    let trend = appendTrendPoint(empty, at('2026-08-05T00:00:00Z', []));
    trend = appendTrendPoint(trend, at('2026-09-15T00:00:00Z', []));
    trend = appendTrendPoint(trend, at('2026-11-01T00:00:00Z', []));
    expect(trend.points.map((p) => p.at.slice(0, 10))).toEqual(['2026-08-05', '2026-09-15', '2026-11-01']);
    expect(appendTrendPoint(trend, at('2026-12-01T00:00:00Z', [])).points.map((p) => p.at.slice(0, 10))).toEqual([
      '2026-09-15',
      '2026-11-01',
      '2026-12-01',
    ]);
  });

  it('compares the flagged findings of two runs', () => {
    expect(compareFlagged(['a', 'b', 'c'], ['b', 'c', 'd', 'e'])).toEqual({ opened: 2, resolved: 1 });
  });

  it('starts again, and says so, when the kept file cannot be read; the report is still written', async () => {
    expect(parseTrend('{"version": 1, "points": "x"}').unreadable).toBe(true);
    expect(parseTrend(undefined)).toEqual({ trend: empty, unreadable: false });
    const dir = mkdtempSync(join(tmpdir(), 'trend-'));
    await mkdir(join(dir, 'history'), { recursive: true });
    writeFileSync(join(dir, TREND_KEY), 'not json');
    const store = createFileReportStore(dir);
    const first = await publishFleetReport(store, {
      now: new Date('2026-12-01T00:00:00Z'),
      deadline: Number.POSITIVE_INFINITY,
      chartJs: '',
    });
    expect(first.trendRestarted).toBe(true);
    expect((JSON.parse(readFileSync(join(dir, TREND_KEY), 'utf8')) as TrendFile).points).toHaveLength(1);
    const second = await publishFleetReport(store, {
      now: new Date('2026-12-01T00:15:00Z'),
      deadline: Number.POSITIVE_INFINITY,
      chartJs: '',
    });
    expect(second.trendRestarted).toBe(false);
    expect(second.report.trend).toHaveLength(2);
    // The trend lives in history/trend.json; the report's JSON (copied under history/ each run) leaves it out.
    expect(readFileSync(join(dir, 'fleet-report.json'), 'utf8')).not.toContain('"trend"');
  });
});
