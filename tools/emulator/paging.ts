import type { SnapshotFilters } from '../../lib/evs/types';
import type { SnapshotStore } from './store';

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

/**
 * One list page the way Cinder answers it: limit clamped to `osapi_max_limit`, a next link on
 * every full page (so a listing whose size is a multiple of the page ends with an empty page),
 * and every query parameter, offset included, copied into that link.
 */
export function listPage(store: SnapshotStore, request: PageRequest): PageResult {
  const q = request.query;
  const limitText = q.get('limit');
  const offsetText = q.get('offset') ?? '0';
  if (limitText !== null && !/^-?\d+$/.test(limitText)) return { ok: false, status: 400, message: 'limit param must be an integer' };
  const limit = limitText === null ? request.maxLimit : Number(limitText);
  if (limit < 0) return { ok: false, status: 400, message: 'limit param must be positive' };
  if (!/^\d+$/.test(offsetText)) return { ok: false, status: 400, message: `Invalid input received: offset = ${offsetText}` };
  const filters: SnapshotFilters = {};
  for (const key of ['name', 'status', 'volume_id'] as const) {
    const value = q.get(key);
    if (value !== null) filters[key] = value;
  }
  const marker = q.get('marker') ?? undefined;
  const effectiveLimit = Math.min(limit, request.maxLimit);
  const result = store.list(request.projectId, { filters, marker, offset: Number(offsetText), limit: effectiveLimit });
  if (!result.ok) return { ok: false, status: 404, message: `Snapshot ${marker} could not be found.` };
  const snapshots = request.detail
    ? result.items.map((s) => ({
        ...s,
        'os-extended-snapshot-attributes:project_id': request.projectId,
        'os-extended-snapshot-attributes:progress': s.status === 'available' ? '100%' : '0%',
      }))
    : result.items;
  const body: Record<string, unknown> = { snapshots };
  const last = result.items[result.items.length - 1];
  if (last && result.items.length >= effectiveLimit) {
    const next = new URLSearchParams(q);
    next.set('marker', last.id);
    body.snapshots_links = [{ rel: 'next', href: `${request.origin}${request.pathname}?${next.toString()}` }];
  }
  return { ok: true, body };
}
