/** Snapshot statuses documented for EVS. */
export const EVS_SNAPSHOT_STATUSES = [
  'creating',
  'available',
  'error',
  'deleting',
  'error_deleting',
  'rollbacking',
  'backing-up',
] as const;

/** Statuses plain OpenStack Cinder can report on top of the EVS ones. */
export const CINDER_EXTRA_STATUSES = ['restoring', 'unmanaging', 'updating', 'deleted'] as const;

export const SNAPSHOT_STATUSES = [...EVS_SNAPSHOT_STATUSES, ...CINDER_EXTRA_STATUSES] as const;
export type SnapshotStatus = (typeof SNAPSHOT_STATUSES)[number];

/** One snapshot as the list API returns it (the EVS API's `snapshots[]` item). */
export interface Snapshot {
  id: string;
  status: string;
  name: string | null;
  description: string | null;
  created_at: string;
  updated_at: string | null;
  metadata: Record<string, string>;
  volume_id: string;
  size: number;
  [extra: string]: unknown;
}

/** Metadata key EVS sets on snapshots made automatically by a cloud server backup. */
export const AUTOMATIC_SNAPSHOT_KEY = '__system__enableActive';

/** The largest `size` (GB) a snapshot row may say: 1 PiB, far above any EVS or Cinder disk. */
export const MAX_SNAPSHOT_SIZE_GB = 1_048_576;

/** Longest text a row may hold in a field the findings table and events keep (Cinder allows 255). */
const MAX_FIELD_LENGTH = { id: 255, status: 64, name: 1_024, volume_id: 255, created_at: 64, updated_at: 64 } as const;

/**
 * What is wrong with a listed snapshot row, or undefined when it can be judged and kept: `size` a
 * non-negative integer of at most MAX_SNAPSHOT_SIZE_GB, and the fields a finding stores strings
 * (or null) of bounded length. A row that is not is reported as malformed and left unjudged,
 * so one absurd row (say `size: 1e308`, which DynamoDB cannot store) cannot fail its project.
 */
export function malformedSnapshot(s: Snapshot): string | undefined {
  if (typeof s.size !== 'number' || !Number.isSafeInteger(s.size) || s.size < 0 || s.size > MAX_SNAPSHOT_SIZE_GB)
    return 'size';
  for (const [field, max] of Object.entries(MAX_FIELD_LENGTH)) {
    const value = (s as Record<string, unknown>)[field];
    const nullable = field === 'name' || field === 'updated_at';
    if (value === null || value === undefined) {
      if (nullable) continue;
      return field;
    }
    if (typeof value !== 'string' || value.length > max) return field;
  }
  return undefined;
}

/** Name prefix of the snapshots Huawei's backup service creates for a disk (`autobk_snapshot_...`). */
export const SYSTEM_SNAPSHOT_PREFIX = 'autobk_snapshot_';

/**
 * A snapshot the cloud made for its own backups: named `autobk_snapshot_*`, or carrying
 * `__system__enableActive`. Huawei says not to delete them or roll back to them, so no cleanup
 * finding ever names one.
 */
export function isSystemSnapshot(snapshot: Pick<Snapshot, 'name' | 'metadata'>): boolean {
  if (typeof snapshot.name === 'string' && snapshot.name.startsWith(SYSTEM_SNAPSHOT_PREFIX)) return true;
  const metadata = snapshot.metadata;
  return !!metadata && typeof metadata === 'object' && Object.hasOwn(metadata, AUTOMATIC_SNAPSHOT_KEY);
}

/** The snapshot fields every finding carries, and a finding item keeps. */
export interface SnapshotCore {
  id: string;
  name: string | null;
  status: string;
  volume_id: string;
  /** GB, as the list API gives it (the source disk's size). */
  size: number;
  created_at: string;
  updated_at: string | null;
}

/** The snapshot's own fields, as the list API gave them. */
export interface SnapshotFields extends SnapshotCore {
  description?: string | null;
  metadata?: Record<string, string>;
}

/** A listed snapshot's core fields, as events carry them and finding items keep them. */
export function snapshotCoreOf(s: Snapshot): SnapshotCore {
  return {
    id: s.id,
    name: s.name ?? null,
    status: s.status,
    volume_id: s.volume_id,
    size: s.size,
    created_at: s.created_at,
    updated_at: s.updated_at ?? null,
  };
}
