import type { Snapshot } from '../domain/snapshot';

export interface SnapshotLink {
  rel: string;
  href: string;
}

/** The EVS API's response body. */
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
  /** Marker of the next page when the upstream announced one, else undefined. */
  nextMarker: string | undefined;
  requestId: string | undefined;
}

/** One page of any Cinder list (snapshots, volumes): its rows and the marker of the next page. */
export interface ListPage<T> {
  items: T[];
  nextMarker: string | undefined;
  requestId: string | undefined;
}

/** A volume as `GET /v2/{project_id}/volumes` lists it: only the id is relied on. */
export interface VolumeRef {
  id: string;
  [extra: string]: unknown;
}

export type VolumePage = ListPage<VolumeRef>;

/** A 2xx list answer as the upstream wrote it, for callers that decode it themselves (the proxy). */
export interface PageText {
  text: string;
  requestId: string | undefined;
}

/** The order of query keys the client sends: fixed, so requests are reproducible. */
export const QUERY_KEYS = ['marker', 'offset', 'limit', 'name', 'status', 'volume_id'] as const;
