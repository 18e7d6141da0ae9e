/**
 * What cleanup removed, per calendar month (UTC): the confirmed deletions of the audit trail
 * (action DELETED; a refused or failed delete is never counted), their GB as the snapshot was last
 * seen, and with prices what each month's deletions save per month from then on (an upper bound,
 * priced from size like the rest of the report).
 */
import type { CleanupStore } from '../cleanup/store';
import type { CleanupDetail } from '../events/contract';
import { monthlyCost, type PriceList } from '../pricing/prices';

/** How many calendar months the report shows, this one included. */
export const REMOVED_MONTHS = 12;

export interface RemovedMonth {
  /** `YYYY-MM`, UTC. */
  month: string;
  count: number;
  gb: number;
  /** What the snapshots removed this month cost per month at the configured prices (an upper bound); absent without prices. */
  savedPerMonth?: number;
}

/** The removed snapshots of the last REMOVED_MONTHS months, oldest month first, every month listed. */
export interface FleetRemoved {
  /** Where the window starts (the first day of its first month, UTC). */
  since: string;
  months: RemovedMonth[];
  /** Audit items that said DELETED but could not be read as a deletion (left out, and counted). */
  unreadable: number;
}

/** Reads the confirmed deletions of these projects from `since` on (a Query per project). */
export type RemovalReader = (projectIds: readonly string[], since: string, deadline: number) => Promise<unknown[]>;

/** The first instant of the window that ends in `now`'s month. */
export function removedSince(now: Date, months = REMOVED_MONTHS): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (months - 1), 1)).toISOString();
}

const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7);
const tidy = (n: number) => Math.round(n * 1e6) / 1e6;

/** A deletion as the audit item records it; anything else (cloud sizes are untrusted too) is undefined. */
function deletionOf(
  value: unknown,
): (Pick<CleanupDetail, 'target' | 'region'> & { at: number; size: number; status: string }) | undefined {
  const d = value as Partial<CleanupDetail> | null;
  if (!d || typeof d !== 'object' || d.action !== 'DELETED' || typeof d.at !== 'string') return undefined;
  const at = Date.parse(d.at);
  const s = d.snapshot;
  if (
    !Number.isFinite(at) ||
    !s ||
    typeof s !== 'object' ||
    typeof s.size !== 'number' ||
    !Number.isFinite(s.size) ||
    s.size < 0
  )
    return undefined;
  if (typeof d.target !== 'string' || typeof d.region !== 'string') return undefined;
  return {
    at,
    size: s.size,
    status: typeof s.status === 'string' ? s.status : 'available',
    target: d.target,
    region: d.region,
  };
}

/** Adds the deletions up per month of the window; deletions outside it are left out. */
export function removedPerMonth(
  details: readonly unknown[],
  now: Date,
  prices?: PriceList,
  months = REMOVED_MONTHS,
): FleetRemoved {
  const since = removedSince(now, months);
  const start = Date.parse(since);
  const rows: RemovedMonth[] = [];
  for (let i = 0; i < months; i++) {
    const first = new Date(start);
    first.setUTCMonth(first.getUTCMonth() + i);
    rows.push({ month: monthOf(first.getTime()), count: 0, gb: 0, ...(prices ? { savedPerMonth: 0 } : {}) });
  }
  const byMonth = new Map(rows.map((r) => [r.month, r]));
  let unreadable = 0;
  for (const value of details) {
    if ((value as { action?: unknown } | null)?.action !== 'DELETED') continue;
    const d = deletionOf(value);
    if (!d) {
      unreadable++;
      continue;
    }
    const row = byMonth.get(monthOf(d.at));
    if (!row) continue;
    row.count++;
    row.gb += d.size;
    if (prices)
      row.savedPerMonth =
        (row.savedPerMonth ?? 0) +
        monthlyCost(prices, { target: d.target, region: d.region, status: d.status }, d.size);
  }
  for (const r of rows) if (r.savedPerMonth !== undefined) r.savedPerMonth = tidy(r.savedPerMonth);
  return { since, months: rows, unreadable };
}

/** The reader over the cleanup's audit trail in the findings table: one Query per project, from `since` on. */
export function removalsFromTrail(store: Pick<CleanupStore, 'trail'>): RemovalReader {
  return async (projectIds, since, deadline) => {
    const details: unknown[] = [];
    for (const projectId of new Set(projectIds)) {
      for (const item of await store.trail(projectId, since, deadline))
        if (item.action === 'DELETED') details.push(item.detail);
    }
    return details;
  };
}
