import { parseUpstreamTime } from '../domain/times';
import type { VolumeFields } from '../domain/volume';
import type { CoverageRule } from '../policy/policy';
import { Column, IdColumn, Interned, TextColumn } from '../retention/columns';

/** Positions of the listed volumes (the orphan check's VolumeSet). */
export interface VolumePositions {
  positionOf(id: string): number;
}

/** A volume with no recent snapshot, and the rule that says so. */
export interface Unprotected {
  volume: VolumeFields;
  rule: CoverageRule;
  /** created_at of its newest available snapshot, epoch ms; NaN when it has none. */
  newestMs: number;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Which volumes have a recent snapshot, from the volume listing the orphan check already makes
 * and the snapshots as they are listed: per volume only the newest available snapshot's time (8
 * bytes), and the fields an event names (id, name, status, size, created_at) only for volumes
 * in a status some rule watches, in columns (names and created_at as bytes, not a string each:
 * strings kept alive grow the garbage-collected heap by a multiple of their size).
 */
export class VolumeCoverage {
  private newest = new Float64Array(0);
  // The watched volumes, in columns rather than an object each.
  private watched = 0;
  private readonly position = new Column((n) => new Int32Array(n));
  private readonly ids = new IdColumn();
  private readonly names = new TextColumn();
  private readonly statuses = new Interned(255);
  private readonly statusOf = new Column((n) => new Uint8Array(n));
  private readonly size = new Column((n) => new Float64Array(n));
  private readonly createdMs = new Column((n) => new Float64Array(n));
  private readonly createdAt = new TextColumn();

  constructor(
    private readonly rules: readonly CoverageRule[],
    private readonly positions: VolumePositions,
  ) {}

  /** A volume as listed, at its position in the volume set. Untrusted: fields of the wrong type read as absent. */
  addVolume(position: number, listed: { id: string; [extra: string]: unknown }): void {
    if (position >= this.newest.length) {
      const next = new Float64Array(Math.max(1_024, position * 2)).fill(Number.NaN);
      next.set(this.newest);
      this.newest = next;
    }
    const status = text(listed.status) ?? '';
    if (!this.rules.some((r) => r.watches(status))) return;
    const i = this.watched++;
    const created = text(listed.created_at);
    this.position.set(i, position);
    this.ids.set(i, listed.id);
    this.names.set(i, text(listed.name));
    this.statusOf.set(i, this.statuses.of(status));
    this.size.set(i, typeof listed.size === 'number' && Number.isFinite(listed.size) ? listed.size : 0);
    this.createdMs.set(i, parseUpstreamTime(created));
    this.createdAt.set(i, created);
  }

  /** A listed snapshot: only an available one protects its volume. */
  snapshotSeen(volumeId: unknown, status: string, createdMs: number): void {
    if (status !== 'available' || typeof volumeId !== 'string' || !Number.isFinite(createdMs)) return;
    const position = this.positions.positionOf(volumeId);
    if (position < 0 || position >= this.newest.length) return;
    const known = this.newest[position] as number;
    if (!(known >= createdMs)) this.newest[position] = createdMs;
  }

  /**
   * After a complete listing: each watched volume older than a rule's limit whose newest
   * available snapshot is older than it too (or that has none), by the first such rule.
   */
  *unprotected(now: number): Generator<Unprotected> {
    for (let i = 0; i < this.watched; i++) {
      const newestMs = this.newest[this.position.get(i)] as number;
      const status = this.statuses.values[this.statusOf.get(i)] ?? '';
      for (const rule of this.rules) {
        if (!rule.watches(status)) continue;
        const since = now - rule.withinMinutes * 60_000;
        // A volume younger than the limit has not had the time to be snapshotted; one whose creation time cannot be read is judged on its snapshots alone.
        if (this.createdMs.get(i) > since) continue;
        if (newestMs > since) continue;
        yield {
          volume: {
            id: this.ids.get(i),
            name: this.names.get(i),
            status,
            size: this.size.get(i),
            created_at: this.createdAt.get(i),
          },
          rule,
          newestMs,
        };
        break;
      }
    }
  }
}
