/** Snapshot statuses documented for EVS, plus the ones plain Cinder also reports. */
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

export interface SnapshotLink {
  rel: string;
  href: string;
}

/** The seed's response body. */
export interface SnapshotListBody {
  snapshots: Snapshot[];
  snapshots_links?: SnapshotLink[] | null;
}

/** The filters the list API accepts, already validated. */
export interface SnapshotFilters {
  name?: string;
  status?: string;
  volume_id?: string;
}

export interface PageQuery extends SnapshotFilters {
  marker?: string;
  offset?: number;
  limit?: number;
}

/** One upstream page, with what is needed to ask for the next one. */
export interface SnapshotPage {
  snapshots: Snapshot[];
  /** The upstream's own text of the `snapshots` array, when it could be cut out safely. */
  rawSnapshots?: string | undefined;
  /** Marker of the next page when the upstream announced one, else undefined. */
  nextMarker: string | undefined;
  /** The raw next href the upstream sent, if any. */
  nextHref: string | undefined;
  requestId: string | undefined;
}

/** The order of query keys the client sends: fixed, so requests are reproducible. */
export const QUERY_KEYS = ['marker', 'offset', 'limit', 'name', 'status', 'volume_id'] as const;
