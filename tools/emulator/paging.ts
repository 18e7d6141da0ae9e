import type { SnapshotFilters } from '../../lib/upstream/types';
import type { FleetVolume } from './fleet';
import type { SnapshotStore, VolumeStore } from './store';

export interface PageRequest {
  projectId: string;
  query: URLSearchParams;
  pathname: string;
  /** Origin (or Cinder's `public_endpoint`) that next links start with. */
  origin: string;
  detail: boolean;
  /** Cinder's `osapi_max_limit`. */
  maxLimit: number;
}

export type PageResult = { ok: true; body: Record<string, unknown> } | { ok: false; status: number; message: string };

type Paging =
  | { ok: true; limit: number; offset: number; marker: string | undefined }
  | { ok: false; status: number; message: string };

/** Cinder's common paging parameters: limit clamped to `osapi_max_limit`, offset, marker. */
function readPaging(request: PageRequest): Paging {
  const q = request.query;
  const limitText = q.get('limit');
  const offsetText = q.get('offset') ?? '0';
  if (limitText !== null && !/^-?\d+$/.test(limitText))
    return { ok: false, status: 400, message: 'limit param must be an integer' };
  const limit = limitText === null ? request.maxLimit : Number(limitText);
  if (limit < 0) return { ok: false, status: 400, message: 'limit param must be positive' };
  if (!/^\d+$/.test(offsetText))
    return { ok: false, status: 400, message: `Invalid input received: offset = ${offsetText}` };
  return {
    ok: true,
    limit: Math.min(limit, request.maxLimit),
    offset: Number(offsetText),
    marker: q.get('marker') ?? undefined,
  };
}

/** The body of a page: its rows, and a next link (every query parameter copied, marker replaced) when the page is full. */
function linkedPage(
  request: PageRequest,
  key: 'snapshots' | 'volumes',
  rows: unknown[],
  lastId: string | undefined,
  limit: number,
): Record<string, unknown> {
  const body: Record<string, unknown> = { [key]: rows };
  if (lastId !== undefined && rows.length >= limit) {
    const next = new URLSearchParams(request.query);
    next.set('marker', lastId);
    body[`${key}_links`] = [{ rel: 'next', href: `${request.origin}${request.pathname}?${next.toString()}` }];
  }
  return body;
}

/**
 * One list page the way Cinder answers it: limit clamped to `osapi_max_limit`, a next link on
 * every full page (so a listing whose size is a multiple of the page ends with an empty page),
 * and every query parameter, offset included, copied into that link.
 */
export function listPage(store: SnapshotStore, request: PageRequest): PageResult {
  const paging = readPaging(request);
  if (!paging.ok) return paging;
  const filters: SnapshotFilters = {};
  for (const key of ['name', 'status', 'volume_id'] as const) {
    const value = request.query.get(key);
    if (value !== null) filters[key] = value;
  }
  const result = store.list(request.projectId, {
    filters,
    marker: paging.marker,
    offset: paging.offset,
    limit: paging.limit,
  });
  if (!result.ok) return { ok: false, status: 404, message: `Snapshot ${paging.marker} could not be found.` };
  const snapshots = request.detail
    ? result.items.map((s) => ({
        ...s,
        'os-extended-snapshot-attributes:project_id': request.projectId,
        'os-extended-snapshot-attributes:progress': s.status === 'available' ? '100%' : '0%',
      }))
    : result.items;
  return {
    ok: true,
    body: linkedPage(request, 'snapshots', snapshots, result.items[result.items.length - 1]?.id, paging.limit),
  };
}

/** One page of `GET /v2/{project_id}/volumes` (summary: id, name, links) or `/volumes/detail`, paged like the snapshots. */
export function listVolumesPage(store: VolumeStore, request: PageRequest): PageResult {
  const paging = readPaging(request);
  if (!paging.ok) return paging;
  const result = store.list(request.projectId, paging);
  if (!result.ok) return { ok: false, status: 404, message: `Volume ${paging.marker} could not be found.` };
  const self = (v: FleetVolume) => [{ rel: 'self', href: `${request.origin}/v2/${request.projectId}/volumes/${v.id}` }];
  const rows = result.items.map((v) =>
    request.detail ? { ...v, links: self(v) } : { id: v.id, links: self(v), name: v.name },
  );
  return {
    ok: true,
    body: linkedPage(request, 'volumes', rows, result.items[result.items.length - 1]?.id, paging.limit),
  };
}
