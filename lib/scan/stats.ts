import type { Classification } from '../domain/finding';
import { ownerOf, UNOWNED } from '../domain/owner';
import type { Snapshot } from '../domain/snapshot';
import type { SnapshotTimes } from '../domain/times';

/** Age buckets of the fleet report, by days since created_at; the last catches unreadable times. */
export const AGE_BUCKETS = [
  { label: '< 7 days', maxDays: 7 },
  { label: '7-30 days', maxDays: 30 },
  { label: '30-90 days', maxDays: 90 },
  { label: '90-180 days', maxDays: 180 },
  { label: '180-365 days', maxDays: 365 },
  { label: '1-2 years', maxDays: 730 },
  { label: '> 2 years', maxDays: Number.POSITIVE_INFINITY },
] as const;
export const UNKNOWN_AGE = 'unknown age';

/** How many of the oldest and of the largest snapshots a project's report names. */
export const TOP_N = 10;

export interface CountGb {
  count: number;
  gb: number;
}

/** A snapshot as the report lists it among the oldest or largest. */
export interface SnapshotBrief {
  id: string;
  name: string | null;
  status: string;
  sizeGb: number;
  createdAt: string;
  ageDays: number | null;
  volumeId: string;
  /** The finding the policy gave it, if any. */
  findingType: string | null;
  /** Who owns it (absent in parts written before owners were kept). */
  owner?: string;
}

/** A count-and-GB map keyed by snapshot status. */
export type ByStatus = Record<string, CountGb>;

/** One owner's snapshots in a project, all and flagged, by status (what money by owner is priced from). */
export interface OwnerStats {
  byStatus: ByStatus;
  flaggedByStatus: ByStatus;
}

/** Most owners a project's part names; the rest are added up under OTHER_OWNERS (owner names are cloud input). */
export const MAX_OWNERS = 100;
export const OTHER_OWNERS = '(other owners)';

/** What one complete listing of a project adds up to (the fleet report's row, the summary's size totals). */
export interface ProjectStats {
  snapshots: number;
  gb: number;
  byStatus: Record<string, CountGb>;
  /** In AGE_BUCKETS order, then UNKNOWN_AGE. */
  byAge: Array<{ bucket: string } & CountGb>;
  byFindingType: Record<string, CountGb>;
  /** Oldest first (by created_at), at most TOP_N. */
  oldest: SnapshotBrief[];
  /** Largest first, at most TOP_N. */
  largest: SnapshotBrief[];
  /** The flagged snapshots by finding type, then status (money by finding type is priced by status). */
  byFindingTypeStatus?: Record<string, ByStatus>;
  /** By owner (see MAX_OWNERS). */
  byOwner?: Record<string, OwnerStats>;
  /** The largest flagged snapshots, largest first, at most TOP_N: what removing them would save. */
  largestFlagged?: SnapshotBrief[];
}

export interface StatsOptions {
  /** The owner of a snapshot; default: its `owner` metadata, else UNOWNED. */
  ownerOf?: (snapshot: Snapshot) => string;
}

const DAY_MS = 86_400_000;
const sizeOf = (s: Snapshot) => (typeof s.size === 'number' && Number.isFinite(s.size) && s.size > 0 ? s.size : 0);

/** Keeps the best TOP_N by `better`, in order; O(TOP_N) only for a snapshot that makes the list. */
function insertTop<T>(list: T[], item: T, better: (a: T, b: T) => boolean): void {
  if (list.length === TOP_N && !better(item, list[TOP_N - 1] as T)) return;
  let i = list.length < TOP_N ? list.length : TOP_N - 1;
  list[i] = item;
  while (i > 0 && better(item, list[i - 1] as T)) {
    list[i] = list[i - 1] as T;
    list[--i] = item;
  }
}

/** Adds up a project's snapshots as the scan reads them: flat memory, whatever the project's size. */
export function createStatsAccumulator(now: number, options: StatsOptions = {}) {
  const owner = options.ownerOf ?? ((s: Snapshot) => ownerOf(s.metadata) ?? UNOWNED);
  // Keyed by upstream statuses and finding types: no prototype, so `__proto__` is just a key.
  const byStatus = Object.create(null) as Record<string, CountGb>;
  const byFindingType = Object.create(null) as Record<string, CountGb>;
  const ages = [
    ...AGE_BUCKETS.map((b) => ({ bucket: b.label as string, count: 0, gb: 0 })),
    { bucket: UNKNOWN_AGE, count: 0, gb: 0 },
  ];
  const unknownAge = ages[ages.length - 1] as CountGb;
  // The oldest, kept unsorted as references to the listed snapshots in parallel arrays, with the
  // place of the youngest of them: Cinder lists newest first, so every snapshot is the oldest yet,
  // and an object per candidate (or a sorted insert) per snapshot is work on the hot path.
  const oldestSnapshots: Snapshot[] = [];
  const oldestMs: number[] = [];
  const oldestTypes: Array<string | null> = [];
  let youngest = 0;
  const largest: SnapshotBrief[] = [];
  const largestFlagged: SnapshotBrief[] = [];
  const byFindingTypeStatus = Object.create(null) as Record<string, ByStatus>;
  // A Map while adding (many lookups of a few keys), a record in the result (JSON).
  const byOwner = new Map<string, OwnerStats>();
  const ownerStats = (name: string): OwnerStats => {
    let known = byOwner.get(name);
    if (known) return known;
    const key = byOwner.size < MAX_OWNERS || name === OTHER_OWNERS ? name : OTHER_OWNERS;
    known = byOwner.get(key);
    if (!known) {
      known = { byStatus: Object.create(null) as ByStatus, flaggedByStatus: Object.create(null) as ByStatus };
      byOwner.set(key, known);
    }
    return known;
  };
  let snapshots = 0;
  let gb = 0;
  const bump = (map: Record<string, CountGb>, key: string, size: number) => {
    const entry = map[key] ?? (map[key] = { count: 0, gb: 0 });
    entry.count++;
    entry.gb += size;
  };
  const daysOf = (createdMs: number) => Math.max(0, Math.floor((now - createdMs) / DAY_MS));
  const brief = (
    s: Snapshot,
    createdMs: number,
    findingType: string | null,
    ownedBy: string = owner(s),
  ): SnapshotBrief => ({
    owner: ownedBy,
    id: s.id,
    name: s.name ?? null,
    status: s.status,
    sizeGb: sizeOf(s),
    createdAt: s.created_at,
    ageDays: Number.isFinite(createdMs) ? daysOf(createdMs) : null,
    volumeId: s.volume_id,
    findingType,
  });

  return {
    add(s: Snapshot, times: SnapshotTimes, finding: Classification | undefined): void {
      const size = sizeOf(s);
      snapshots++;
      gb += size;
      bump(byStatus, s.status, size);
      const ownedBy = owner(s);
      const who = ownerStats(ownedBy);
      bump(who.byStatus, s.status, size);
      if (finding) {
        bump(byFindingType, finding.type, size);
        bump((byFindingTypeStatus[finding.type] ??= Object.create(null) as ByStatus), s.status, size);
        bump(who.flaggedByStatus, s.status, size);
        if (
          size > 0 &&
          (largestFlagged.length < TOP_N || size > (largestFlagged[largestFlagged.length - 1] as SnapshotBrief).sizeGb)
        ) {
          insertTop(largestFlagged, brief(s, times.created, finding.type, ownedBy), (a, b) => a.sizeGb > b.sizeGb);
        }
      }
      const created = times.created;
      let bucket = unknownAge;
      if (Number.isFinite(created)) {
        const days = daysOf(created);
        for (let i = 0; i < AGE_BUCKETS.length; i++) {
          if (days < (AGE_BUCKETS[i] as { maxDays: number }).maxDays) {
            bucket = ages[i] as CountGb;
            break;
          }
        }
        const n = oldestMs.length;
        if (n < TOP_N || created < (oldestMs[youngest] as number)) {
          const at = n < TOP_N ? n : youngest;
          oldestMs[at] = created;
          oldestSnapshots[at] = s;
          oldestTypes[at] = finding?.type ?? null;
          youngest = 0;
          for (let i = 1; i < oldestMs.length; i++)
            if ((oldestMs[i] as number) > (oldestMs[youngest] as number)) youngest = i;
        }
      }
      bucket.count++;
      bucket.gb += size;
      if (size > 0 && (largest.length < TOP_N || size > (largest[largest.length - 1] as SnapshotBrief).sizeGb)) {
        insertTop(largest, brief(s, created, finding?.type ?? null, ownedBy), (a, b) => a.sizeGb > b.sizeGb);
      }
    },
    /** A finding decided after the listing (a late retention ranking, a volume with no recent snapshot): counted by type only. */
    addFinding(type: string, size: number): void {
      bump(byFindingType, type, Number.isFinite(size) && size > 0 ? size : 0);
    },
    result(): ProjectStats {
      const order = oldestMs.map((_, i) => i).sort((a, b) => (oldestMs[a] as number) - (oldestMs[b] as number));
      const oldest = order.map((i) =>
        brief(oldestSnapshots[i] as Snapshot, oldestMs[i] as number, oldestTypes[i] ?? null),
      );
      return {
        snapshots,
        gb,
        byStatus,
        byAge: ages,
        byFindingType,
        oldest,
        largest: [...largest],
        byFindingTypeStatus,
        byOwner: Object.assign(Object.create(null) as Record<string, OwnerStats>, Object.fromEntries(byOwner)),
        largestFlagged: [...largestFlagged],
      };
    },
  };
}

/** One column of a count-and-GB map: `{status: count}` or `{status: GB}` for the scan summary. */
export function columnOf(map: Record<string, CountGb>, column: keyof CountGb): Record<string, number> {
  const out = Object.create(null) as Record<string, number>;
  for (const [key, value] of Object.entries(map)) out[key] = value[column];
  return out;
}
