/**
 * The report's trend: one small point per report run, kept in history/trend.json beside the full
 * reports under history/, so the page can draw snapshots, GB, money, open findings, new against
 * resolved and flagged GB per owner over time without reading every past report.
 */
import type { FleetReport, TrendPoint } from './fleet';

export type { TrendPoint } from './fleet';

/** The kept trend: the points, and which scan of each project the last point counted transitions of. */
export interface TrendFile {
  version: 1;
  points: TrendPoint[];
  scans: Record<string, string>;
}

/** How long points are kept (the same 90 days as the full reports under history/), and at most how many. */
export const TREND_KEEP_DAYS = 90;
export const TREND_MAX_POINTS = 5_000;

/** The kept trend from its text; anything unreadable starts a new one (and the caller says so). */
export function parseTrend(text: string | undefined): { trend: TrendFile; unreadable: boolean } {
  const empty: TrendFile = { version: 1, points: [], scans: {} };
  if (text === undefined) return { trend: empty, unreadable: false };
  try {
    const value = JSON.parse(text) as Partial<TrendFile>;
    if (
      value &&
      value.version === 1 &&
      Array.isArray(value.points) &&
      value.points.every((p) => p && typeof p.at === 'string' && typeof p.snapshots === 'number') &&
      typeof value.scans === 'object' &&
      value.scans !== null
    ) {
      return { trend: { version: 1, points: value.points, scans: value.scans }, unreadable: false };
    }
  } catch {
    // falls through: a new trend
  }
  return { trend: empty, unreadable: true };
}

/**
 * The trend with this report's point added (older points past TREND_KEEP_DAYS dropped).
 * `changes`: findings opened and resolved since the previous run when the caller knows them (a
 * local run compares the flagged snapshots); otherwise they are the transitions the projects'
 * scans reported, each scan counted once.
 */
export function appendTrendPoint(
  previous: TrendFile,
  report: FleetReport,
  changes?: { opened: number; resolved: number },
): TrendFile {
  const scans: Record<string, string> = {};
  let opened = 0;
  let resolved = 0;
  for (const p of report.projects) {
    const key = `${p.target}/${p.projectId}`;
    scans[key] = p.scanId;
    if (previous.scans[key] !== p.scanId && p.transitions) {
      opened += p.transitions.opened;
      resolved += p.transitions.resolved;
    }
  }
  const first = previous.points.length === 0;
  const t = report.totals;
  const openByType: Record<string, number> = {};
  let flaggedGb = 0;
  for (const [type, v] of Object.entries(t.byFindingType)) {
    openByType[type] = v.count;
    flaggedGb += v.gb;
  }
  const flaggedGbByOwner: Record<string, number> = {};
  for (const [owner, o] of Object.entries(t.byOwner)) if (o.flaggedGb > 0) flaggedGbByOwner[owner] = o.flaggedGb;
  const point: TrendPoint = {
    at: report.generatedAt,
    snapshots: t.snapshots,
    gb: t.gb,
    flaggedGb,
    ...(report.money
      ? {
          currency: report.money.currency,
          perMonth: report.money.perMonth,
          flaggedPerMonth: report.money.flaggedPerMonth,
        }
      : {}),
    openByType,
    flaggedGbByOwner,
    opened: first ? null : (changes?.opened ?? opened),
    resolved: first ? null : (changes?.resolved ?? resolved),
  };
  const since = Date.parse(report.generatedAt) - TREND_KEEP_DAYS * 86_400_000;
  const points = [...previous.points.filter((p) => Date.parse(p.at) >= since && p.at < point.at), point].slice(
    -TREND_MAX_POINTS,
  );
  return { version: 1, points, scans };
}

/** New against resolved findings per UTC day, from the points that know them. */
export function changesPerDay(points: readonly TrendPoint[]): Array<{ day: string; opened: number; resolved: number }> {
  const days = new Map<string, { opened: number; resolved: number }>();
  for (const p of points) {
    if (p.opened === null || p.resolved === null) continue;
    const day = p.at.slice(0, 10);
    const d = days.get(day) ?? { opened: 0, resolved: 0 };
    d.opened += p.opened;
    d.resolved += p.resolved;
    days.set(day, d);
  }
  return [...days.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, d]) => ({ day, ...d }));
}

/** Findings opened and resolved between two runs, from the flagged findings' ids of each. */
export function compareFlagged(
  before: readonly string[],
  after: readonly string[],
): { opened: number; resolved: number } {
  const was = new Set(before);
  const is = new Set(after);
  let opened = 0;
  let resolved = 0;
  for (const id of is) if (!was.has(id)) opened++;
  for (const id of was) if (!is.has(id)) resolved++;
  return { opened, resolved };
}
