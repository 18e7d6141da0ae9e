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

/** One snapshot as the list API returns it (the seed's `snapshots[]` item). */
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
