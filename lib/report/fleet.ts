import { UNOWNED } from '../domain/owner';
import { MONEY_BASIS, monthlyCost, monthlyCostByStatus, type PriceList } from '../pricing/prices';
import type { ProjectResult } from '../scan/run-scan';
import {
  AGE_BUCKETS,
  type CountGb,
  MAX_OWNERS,
  OTHER_OWNERS,
  type ProjectStats,
  type SnapshotBrief,
  TOP_N,
  UNKNOWN_AGE,
} from '../scan/stats';
import { type FleetRemoved, removedPerMonth } from './removed';

/** Bumped on a breaking change of the report's JSON, like the event contract. */
export const REPORT_VERSION = '1.0';

/** One project's part of the fleet report: what its last complete scan added up to. */
export interface ProjectReport {
  reportVersion: typeof REPORT_VERSION;
  target: string;
  region: string;
  projectId: string;
  scanId: string;
  /** When the scan's listing ended. */
  scannedAt: string;
  stats: ProjectStats;
  /** Findings the scan opened and resolved (with a findings table; absent in older parts). */
  transitions?: { opened: number; resolved: number };
}

/** A snapshot among the fleet's oldest or largest, with where it lives. */
export interface FleetSnapshotBrief extends SnapshotBrief {
  target: string;
  projectId: string;
  /** What it costs per month at the configured prices (an upper bound, from its size); absent without prices. */
  monthlyCost?: number;
}

/** One owner's snapshots over the fleet: all, and those the policy flags. */
export interface OwnerTotals {
  count: number;
  gb: number;
  flaggedCount: number;
  flaggedGb: number;
}

/** Money per month: all snapshots and the flagged ones (what removing them would save). */
export interface MoneyRow {
  perMonth: number;
  flaggedPerMonth: number;
}

/**
 * The fleet's monthly cost at the configured prices. An upper bound: priced from `size`, the
 * source disk's GB, since the list API returns no usage figure (MONEY_BASIS). Not rounded here;
 * every format rounds to the cent when it shows an amount.
 */
export interface FleetMoney extends MoneyRow {
  currency: string;
  basis: typeof MONEY_BASIS;
  /** The price file's note, e.g. where its figures come from. */
  note?: string;
  /** The prices these amounts were computed with. */
  prices: PriceList;
  byProject: Array<{ target: string; region: string; projectId: string } & MoneyRow>;
  byTarget: Record<string, MoneyRow>;
  /** Flagged snapshots only. */
  byFindingType: Record<string, number>;
  byOwner: Record<string, MoneyRow>;
}

/** The fleet's sums: a project's stats over every project, its snapshots named with their project. */
export interface FleetTotals
  extends Omit<ProjectStats, 'oldest' | 'largest' | 'largestFlagged' | 'byOwner' | 'byFindingTypeStatus'> {
  projects: number;
  oldest: FleetSnapshotBrief[];
  largest: FleetSnapshotBrief[];
  /** The largest flagged snapshots of the fleet: the findings worth most when removed. */
  largestFlagged: FleetSnapshotBrief[];
  /** At most MAX_OWNERS owners, most flagged GB first; the rest added up under OTHER_OWNERS. */
  byOwner: Record<string, OwnerTotals>;
}

/** What one report run adds to the trend. */
export interface TrendPoint {
  at: string;
  snapshots: number;
  gb: number;
  flaggedGb: number;
  /** Money per month, when that run had prices. */
  currency?: string;
  perMonth?: number;
  flaggedPerMonth?: number;
  /** Open findings (flagged snapshots) by type. */
  openByType: Record<string, number>;
  flaggedGbByOwner: Record<string, number>;
  /** Findings opened and resolved since the previous point; null when not known (the first point). */
  opened: number | null;
  resolved: number | null;
}

/** The fleet report: every project's last complete scan, and the fleet's totals. */
export interface FleetReport {
  reportVersion: typeof REPORT_VERSION;
  generatedAt: string;
  /** Projects in target, then project id order. */
  projects: ProjectReport[];
  totals: FleetTotals;
  /** Present when prices are configured. */
  money?: FleetMoney;
  /** One point per report run, oldest first, from the kept history (history/trend.json). */
  trend?: TrendPoint[];
  /** What cleanup removed per month; present when the report reads the findings table's audit trail. */
  removed?: FleetRemoved;
}

/** The report part of a project the scan read completely; undefined for one it did not (its last complete part stands). */
export function projectReportOf(result: ProjectResult, scanId: string): ProjectReport | undefined {
  if (!result.complete) return undefined;
  return {
    reportVersion: REPORT_VERSION,
    target: result.target,
    region: result.region,
    projectId: result.projectId,
    scanId,
    scannedAt: result.scannedAt,
    stats: result.stats,
    transitions: { opened: result.transitions.opened, resolved: result.transitions.resolved },
  };
}

const add = (into: Record<string, CountGb>, from: Record<string, CountGb>) => {
  for (const [key, value] of Object.entries(from)) {
    const entry = into[key] ?? (into[key] = { count: 0, gb: 0 });
    entry.count += value.count;
    entry.gb += value.gb;
  }
};

const sumCountGb = (map: Record<string, CountGb>) =>
  Object.values(map).reduce((n, v) => ({ count: n.count + v.count, gb: n.gb + v.gb }), { count: 0, gb: 0 });
/** Float noise off amounts kept in JSON (a millionth of the currency). */
const tidy = (amount: number) => Math.round(amount * 1e6) / 1e6;

/** Owners over the fleet, most flagged GB first, at most MAX_OWNERS; money by owner the same way when priced. */
function ownersOf(projects: readonly ProjectReport[], prices: PriceList | undefined) {
  const all = new Map<string, OwnerTotals & MoneyRow>();
  for (const p of projects) {
    const where = { target: p.target, region: p.region };
    const byOwner = p.stats.byOwner ?? { [UNOWNED]: { byStatus: p.stats.byStatus, flaggedByStatus: {} } };
    for (const [owner, o] of Object.entries(byOwner)) {
      const row = all.get(owner) ?? { count: 0, gb: 0, flaggedCount: 0, flaggedGb: 0, perMonth: 0, flaggedPerMonth: 0 };
      const allOf = sumCountGb(o.byStatus);
      const flaggedOf = sumCountGb(o.flaggedByStatus);
      row.count += allOf.count;
      row.gb += allOf.gb;
      row.flaggedCount += flaggedOf.count;
      row.flaggedGb += flaggedOf.gb;
      if (prices) {
        row.perMonth += monthlyCostByStatus(prices, where, o.byStatus);
        row.flaggedPerMonth += monthlyCostByStatus(prices, where, o.flaggedByStatus);
      }
      all.set(owner, row);
    }
  }
  const ranked = [...all.entries()].sort(
    ([a, x], [b, y]) => y.flaggedGb - x.flaggedGb || y.gb - x.gb || (a < b ? -1 : 1),
  );
  const totals = Object.create(null) as Record<string, OwnerTotals>;
  const money = Object.create(null) as Record<string, MoneyRow>;
  let named = 0;
  for (const [name, row] of ranked) {
    const key = named < MAX_OWNERS && name !== OTHER_OWNERS ? name : OTHER_OWNERS;
    if (key !== OTHER_OWNERS) named++;
    const t = (totals[key] ??= { count: 0, gb: 0, flaggedCount: 0, flaggedGb: 0 });
    t.count += row.count;
    t.gb += row.gb;
    t.flaggedCount += row.flaggedCount;
    t.flaggedGb += row.flaggedGb;
    const m = (money[key] ??= { perMonth: 0, flaggedPerMonth: 0 });
    m.perMonth += row.perMonth;
    m.flaggedPerMonth += row.flaggedPerMonth;
  }
  for (const m of Object.values(money)) {
    m.perMonth = tidy(m.perMonth);
    m.flaggedPerMonth = tidy(m.flaggedPerMonth);
  }
  return { totals, money };
}

/** The fleet's money at these prices: each project priced by its target, region and each status. */
function moneyOf(projects: readonly ProjectReport[], prices: PriceList, byOwner: Record<string, MoneyRow>): FleetMoney {
  const byProject: FleetMoney['byProject'] = [];
  const byTarget = Object.create(null) as Record<string, MoneyRow>;
  const byFindingType = Object.create(null) as Record<string, number>;
  let perMonth = 0;
  let flaggedPerMonth = 0;
  for (const p of projects) {
    const where = { target: p.target, region: p.region };
    const all = monthlyCostByStatus(prices, where, p.stats.byStatus);
    let flagged = 0;
    for (const [type, byStatus] of Object.entries(p.stats.byFindingTypeStatus ?? {})) {
      const cost = monthlyCostByStatus(prices, where, byStatus);
      flagged += cost;
      byFindingType[type] = (byFindingType[type] ?? 0) + cost;
    }
    byProject.push({
      target: p.target,
      region: p.region,
      projectId: p.projectId,
      perMonth: tidy(all),
      flaggedPerMonth: tidy(flagged),
    });
    const t = (byTarget[p.target] ??= { perMonth: 0, flaggedPerMonth: 0 });
    t.perMonth += all;
    t.flaggedPerMonth += flagged;
    perMonth += all;
    flaggedPerMonth += flagged;
  }
  for (const t of Object.values(byTarget)) {
    t.perMonth = tidy(t.perMonth);
    t.flaggedPerMonth = tidy(t.flaggedPerMonth);
  }
  for (const k of Object.keys(byFindingType)) byFindingType[k] = tidy(byFindingType[k] as number);
  return {
    currency: prices.currency,
    basis: MONEY_BASIS,
    ...(prices.note ? { note: prices.note } : {}),
    prices,
    perMonth: tidy(perMonth),
    flaggedPerMonth: tidy(flaggedPerMonth),
    byProject,
    byTarget,
    byFindingType,
    byOwner,
  };
}

/**
 * Adds the parts up: totals by status, age, finding type and owner, the fleet's oldest, largest and
 * largest flagged snapshots, and, with prices, what they cost per month.
 */
export function assembleFleetReport(
  parts: readonly ProjectReport[],
  generatedAt: Date,
  options: { prices?: PriceList; removals?: readonly unknown[] } = {},
): FleetReport {
  const { prices } = options;
  const projects = [...parts].sort((a, b) =>
    a.target !== b.target
      ? a.target < b.target
        ? -1
        : 1
      : a.projectId < b.projectId
        ? -1
        : a.projectId > b.projectId
          ? 1
          : 0,
  );
  const byStatus = Object.create(null) as Record<string, CountGb>;
  const byFindingType = Object.create(null) as Record<string, CountGb>;
  const byAge = [...AGE_BUCKETS.map((b) => b.label as string), UNKNOWN_AGE].map((bucket) => ({
    bucket,
    count: 0,
    gb: 0,
  }));
  let snapshots = 0;
  let gb = 0;
  const oldest: FleetSnapshotBrief[] = [];
  const largest: FleetSnapshotBrief[] = [];
  const largestFlagged: FleetSnapshotBrief[] = [];
  const fleetBrief = (s: SnapshotBrief, p: ProjectReport): FleetSnapshotBrief => ({
    ...s,
    target: p.target,
    projectId: p.projectId,
    ...(prices
      ? { monthlyCost: tidy(monthlyCost(prices, { target: p.target, region: p.region, status: s.status }, s.sizeGb)) }
      : {}),
  });
  for (const p of projects) {
    snapshots += p.stats.snapshots;
    gb += p.stats.gb;
    add(byStatus, p.stats.byStatus);
    add(byFindingType, p.stats.byFindingType);
    for (const row of p.stats.byAge) {
      const total = byAge.find((b) => b.bucket === row.bucket);
      if (total) {
        total.count += row.count;
        total.gb += row.gb;
      }
    }
    for (const s of p.stats.oldest) oldest.push(fleetBrief(s, p));
    for (const s of p.stats.largest) largest.push(fleetBrief(s, p));
    for (const s of p.stats.largestFlagged ?? []) largestFlagged.push(fleetBrief(s, p));
  }
  largestFlagged.sort((a, b) => b.sizeGb - a.sizeGb || (a.id < b.id ? -1 : 1));
  const owners = ownersOf(projects, prices);
  oldest.sort((a, b) => (b.ageDays ?? 0) - (a.ageDays ?? 0) || (a.createdAt < b.createdAt ? -1 : 1));
  largest.sort((a, b) => b.sizeGb - a.sizeGb || (a.id < b.id ? -1 : 1));
  return {
    reportVersion: REPORT_VERSION,
    generatedAt: generatedAt.toISOString(),
    projects,
    totals: {
      projects: projects.length,
      snapshots,
      gb,
      byStatus,
      byAge,
      byFindingType,
      byOwner: owners.totals,
      oldest: oldest.slice(0, TOP_N),
      largest: largest.slice(0, TOP_N),
      largestFlagged: largestFlagged.slice(0, TOP_N),
    },
    ...(prices ? { money: moneyOf(projects, prices, owners.money) } : {}),
    ...(options.removals ? { removed: removedPerMonth(options.removals, generatedAt, prices) } : {}),
  };
}

/** Checks a part read back from storage; anything else is skipped by the caller and reported. */
export function isProjectReport(value: unknown): value is ProjectReport {
  const v = value as Partial<ProjectReport> | null;
  return (
    !!v &&
    typeof v === 'object' &&
    v.reportVersion === REPORT_VERSION &&
    typeof v.target === 'string' &&
    typeof v.projectId === 'string' &&
    !!v.stats &&
    typeof v.stats.snapshots === 'number' &&
    Array.isArray(v.stats.byAge)
  );
}
