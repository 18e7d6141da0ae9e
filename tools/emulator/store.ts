import type { Snapshot } from '../../lib/domain/snapshot';
import type { SnapshotFilters } from '../../lib/upstream/types';
import { compareCinderOrder, type FleetProject, type FleetVolume } from './fleet';

const FILTER_KEYS = ['status', 'volume_id', 'name'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

interface ProjectIndex {
  all: Snapshot[];
  /** id → position in `all`. */
  rank: Map<string, number>;
  /** `key=value` → ascending positions of the matching snapshots. */
  byFilter: Map<string, Int32Array>;
  /** Views for filter combinations, built once on first use. */
  combined: Map<string, Int32Array>;
}

export interface StoreQuery {
  filters: SnapshotFilters;
  marker?: string | undefined;
  offset: number;
  limit: number;
}

export type StoreResult = { ok: true; items: Snapshot[] } | { ok: false; reason: 'marker-not-found' };

function indexBy(all: Snapshot[], key: FilterKey): Map<string, Int32Array> {
  const lists = new Map<string, number[]>();
  all.forEach((s, position) => {
    const value = s[key];
    if (typeof value !== 'string') return;
    const k = `${key}=${value}`;
    const list = lists.get(k);
    if (list) list.push(position);
    else lists.set(k, [position]);
  });
  return new Map([...lists].map(([k, v]) => [k, Int32Array.from(v)]));
}

/** First index in `positions` whose value is greater than `rank`. */
function upperBound(positions: Int32Array, rank: number): number {
  let low = 0;
  let high = positions.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((positions[mid] as number) <= rank) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * In-memory snapshots indexed like a database would be: a page costs a binary search and a
 * slice, never a scan of the project, so a million snapshots answer as fast as a thousand.
 */
export class SnapshotStore {
  private readonly projects = new Map<string, ProjectIndex>();

  constructor(fleet: FleetProject[]) {
    for (const project of fleet) this.load(project);
  }

  /** Replaces one project's snapshots. */
  load(project: FleetProject): void {
    const all = [...project.snapshots].sort(compareCinderOrder);
    const byFilter = new Map<string, Int32Array>();
    for (const key of FILTER_KEYS) for (const [k, v] of indexBy(all, key)) byFilter.set(k, v);
    this.projects.set(project.projectId, {
      all,
      rank: new Map(all.map((s, i) => [s.id, i])),
      byFilter,
      combined: new Map(),
    });
  }

  /** Removes one snapshot (Cinder's DELETE); false when the project has no such snapshot. */
  remove(projectId: string, snapshotId: string): boolean {
    const index = this.projects.get(projectId);
    if (!index?.rank.has(snapshotId)) return false;
    this.load({ projectId, snapshots: index.all.filter((s) => s.id !== snapshotId) });
    return true;
  }

  /** Sets one snapshot's status (Cinder's os-reset_status action), touching updated_at. */
  resetStatus(projectId: string, snapshotId: string, status: string, at: string): boolean {
    const index = this.projects.get(projectId);
    if (!index?.rank.has(snapshotId)) return false;
    this.load({
      projectId,
      snapshots: index.all.map((s) => (s.id === snapshotId ? { ...s, status, updated_at: at } : s)),
    });
    return true;
  }

  /** One snapshot of a project, or undefined. */
  get(projectId: string, snapshotId: string): Snapshot | undefined {
    const index = this.projects.get(projectId);
    const at = index?.rank.get(snapshotId);
    return at === undefined ? undefined : index?.all[at];
  }

  /** Adds or replaces metadata keys of one snapshot (Cinder's POST .../metadata); its metadata after, or undefined. */
  setMetadata(
    projectId: string,
    snapshotId: string,
    metadata: Record<string, string>,
  ): Record<string, string> | undefined {
    const index = this.projects.get(projectId);
    const current = this.get(projectId, snapshotId);
    if (!index || !current) return undefined;
    const merged = { ...current.metadata, ...metadata };
    this.load({ projectId, snapshots: index.all.map((s) => (s.id === snapshotId ? { ...s, metadata: merged } : s)) });
    return merged;
  }

  projectIds(): string[] {
    return [...this.projects.keys()];
  }

  size(projectId: string): number {
    return this.projects.get(projectId)?.all.length ?? 0;
  }

  private view(index: ProjectIndex, filters: SnapshotFilters): Int32Array | undefined {
    const keys = FILTER_KEYS.filter((k) => filters[k] !== undefined).map((k) => `${k}=${filters[k]}`);
    if (keys.length === 0) return undefined;
    if (keys.length === 1) return index.byFilter.get(keys[0] as string) ?? new Int32Array(0);
    const cacheKey = keys.join('&');
    const cached = index.combined.get(cacheKey);
    if (cached) return cached;
    const lists = keys.map((k) => index.byFilter.get(k) ?? new Int32Array(0)).sort((a, b) => a.length - b.length);
    const [smallest, ...others] = lists as [Int32Array, ...Int32Array[]];
    const sets = others.map((l) => new Set(l));
    const result = Int32Array.from(smallest.filter((p) => sets.every((s) => s.has(p))));
    if (index.combined.size >= 256) index.combined.clear();
    index.combined.set(cacheKey, result);
    return result;
  }

  /** Cinder's semantics: exact filters, rows after the marker's sort position, then offset, then limit. */
  list(projectId: string, query: StoreQuery): StoreResult {
    const index = this.projects.get(projectId);
    if (!index) return query.marker ? { ok: false, reason: 'marker-not-found' } : { ok: true, items: [] };
    let after = -1;
    if (query.marker !== undefined) {
      const rank = index.rank.get(query.marker);
      if (rank === undefined) return { ok: false, reason: 'marker-not-found' };
      after = rank;
    }
    const view = this.view(index, query.filters);
    if (!view) {
      const start = after + 1 + query.offset;
      return { ok: true, items: index.all.slice(start, start + query.limit) };
    }
    const start = upperBound(view, after) + query.offset;
    const items: Snapshot[] = [];
    for (let i = start; i < view.length && items.length < query.limit; i++)
      items.push(index.all[view[i] as number] as Snapshot);
    return { ok: true, items };
  }
}

/**
 * Each project's volumes, in Cinder's order (created_at desc, id desc). A project loaded without
 * a volume list has every volume its snapshots name, so nothing in it is orphaned.
 */
export class VolumeStore {
  private readonly projects = new Map<string, { all: FleetVolume[]; rank: Map<string, number> }>();

  constructor(fleet: FleetProject[]) {
    for (const project of fleet) this.load(project);
  }

  load(project: FleetProject): void {
    const volumes =
      project.volumes ??
      [...new Set(project.snapshots.map((s) => s.volume_id))].map((id) => ({
        id,
        name: `disk-${id.slice(0, 8)}`,
        status: 'in-use',
        size: 10,
        created_at: '2020-01-01T00:00:00.000000',
      }));
    const all = [...volumes].sort(compareCinderOrder);
    this.projects.set(project.projectId, { all, rank: new Map(all.map((v, i) => [v.id, i])) });
  }

  /** Deletes one volume (Cinder's DELETE): its snapshots become orphans. */
  remove(projectId: string, volumeId: string): boolean {
    const index = this.projects.get(projectId);
    if (!index?.rank.has(volumeId)) return false;
    const all = index.all.filter((v) => v.id !== volumeId);
    this.projects.set(projectId, { all, rank: new Map(all.map((v, i) => [v.id, i])) });
    return true;
  }

  size(projectId: string): number {
    return this.projects.get(projectId)?.all.length ?? 0;
  }

  list(
    projectId: string,
    query: { marker: string | undefined; offset: number; limit: number },
  ): { ok: true; items: FleetVolume[] } | { ok: false } {
    const index = this.projects.get(projectId);
    if (!index) return query.marker ? { ok: false } : { ok: true, items: [] };
    let start = 0;
    if (query.marker !== undefined) {
      const rank = index.rank.get(query.marker);
      if (rank === undefined) return { ok: false };
      start = rank + 1;
    }
    start += query.offset;
    return { ok: true, items: index.all.slice(start, start + query.limit) };
  }
}
