import type { Snapshot } from '../domain/snapshot';
import { Column, IdColumn, Interned } from './columns';

/** What a retention rule keeps of each volume's snapshots (0: that kind of keep is off). */
export interface KeepSpec {
  newest: number;
  daily: number;
  weekly: number;
  monthly: number;
}

/** Positions for ids, assigned in the order first added (the scan's VolumeSet is one). */
export interface IdPositions {
  add(id: string): number;
}

const DAY_MS = 86_400_000;
const NONE = -2_147_483_648;
const PENDING = 0;
const ANNOUNCED = 1;
const FLAGGED = 2;
const NO_NAME = 0xffff;

const dayOf = (ms: number) => Math.floor(ms / DAY_MS);
// 1970-01-01 was a Thursday: +3 makes weeks run Monday to Sunday.
const weekOf = (ms: number) => Math.floor((dayOf(ms) + 3) / 7);
const monthOf = (ms: number) => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
};

function grow<T extends Int32Array | Uint32Array | Float64Array | Uint8Array>(old: T, length: number, make: (n: number) => T): T {
  if (old.length >= length) return old;
  const next = make(Math.max(length, Math.ceil(old.length * 1.5), 1_024));
  next.set(old);
  return next;
}

/** A snapshot that ranks past what its volume keeps. */
export interface Excess {
  snapshot: Snapshot;
  rank: number;
}

/**
 * The per-volume ranking of one retention rule, in columns: for each candidate (a snapshot that
 * meets the rule's other conditions) its volume's position, created_at, id and a few small
 * numbers; for each volume a count and the previous candidate's calendar keys. About 40 bytes a
 * candidate and 30 a volume, whatever the names and metadata.
 *
 * Cinder lists newest first, so a candidate usually arrives after every newer one of its volume:
 * its rank is then final on arrival, and one past what the volume keeps is announced at once with
 * the snapshot as listed. A volume whose snapshots arrive out of that order is ranked again once
 * the listing is complete (`late`), and its excess candidates are announced from the columns.
 */
export class RetentionLedger {
  private readonly volumes: IdPositions;
  private readonly today: number;
  private readonly thisWeek: number;
  private readonly thisMonth: number;
  // Per volume.
  private count = new Int32Array(0);
  private lastCreated = new Float64Array(0);
  private lastTie = new Uint32Array(0);
  private lastDay = new Int32Array(0);
  private lastWeek = new Int32Array(0);
  private lastMonth = new Int32Array(0);
  private disordered = new Uint8Array(0);
  private volumeIds = new IdColumn();
  private disorderedVolumes = 0;
  // Per candidate, in chunks (no copies as they grow); the tie-break is the id's first 32 bits.
  private size = 0;
  private readonly volume = new Column((n) => new Int32Array(n));
  private readonly created = new Column((n) => new Float64Array(n));
  private readonly state = new Column((n) => new Uint8Array(n));
  private readonly gb = new Column((n) => new Float32Array(n));
  private readonly statusOf = new Column((n) => new Uint8Array(n));
  private readonly nameOf = new Column((n) => new Uint16Array(n));
  private readonly ids = new IdColumn();
  private readonly statuses = new Interned(255);
  private readonly names = new Interned(NO_NAME);

  constructor(
    readonly keep: KeepSpec,
    now: number,
    volumes: IdPositions,
  ) {
    this.volumes = volumes;
    this.today = dayOf(now);
    this.thisWeek = weekOf(now);
    this.thisMonth = monthOf(now);
  }

  /** Candidates seen. */
  get candidates(): number {
    return this.size;
  }

  /** Whether a candidate with this rank and these calendar keys is kept, given the previous (newer) one's keys. */
  private kept(rank: number, day: number, week: number, month: number, prevDay: number, prevWeek: number, prevMonth: number): boolean {
    const k = this.keep;
    if (rank <= k.newest) return true;
    if (k.daily > 0 && day !== prevDay && day > this.today - k.daily) return true;
    if (k.weekly > 0 && week !== prevWeek && week > this.thisWeek - k.weekly) return true;
    return k.monthly > 0 && month !== prevMonth && month > this.thisMonth - k.monthly;
  }

  /**
   * Records a candidate. `flagged`: another rule already reported it (it still takes its place in
   * the ranking). Returns its rank when it is excess and not flagged (announce it now), else 0.
   */
  observe(snapshot: Snapshot, createdMs: number, flagged: boolean): number {
    const v = this.volumes.add(snapshot.volume_id);
    if (v >= this.count.length) this.growVolumes(v + 1);
    const i = this.size++;
    this.ids.set(i, snapshot.id);
    const tie = this.ids.first(i);
    this.volume.set(i, v);
    this.created.set(i, createdMs);
    this.gb.set(i, typeof snapshot.size === 'number' && Number.isFinite(snapshot.size) ? snapshot.size : 0);
    this.statusOf.set(i, this.statuses.of(snapshot.status));
    this.nameOf.set(i, typeof snapshot.name === 'string' ? this.names.of(snapshot.name) : NO_NAME);
    const n = this.count[v] as number;
    if (n === 0) this.volumeIds.set(v, snapshot.volume_id);
    this.count[v] = n + 1;
    const lastC = this.lastCreated[v] as number;
    const inOrder = n === 0 || createdMs < lastC || (createdMs === lastC && tie <= (this.lastTie[v] as number));
    if (!inOrder && this.disordered[v] === 0) {
      this.disordered[v] = 1;
      this.disorderedVolumes++;
    }
    const day = dayOf(createdMs);
    const week = this.keep.weekly > 0 ? weekOf(createdMs) : 0;
    const month = this.keep.monthly > 0 ? monthOf(createdMs) : 0;
    let rank = 0;
    if (this.disordered[v] === 0 && !this.kept(n + 1, day, week, month, this.lastDay[v] as number, this.lastWeek[v] as number, this.lastMonth[v] as number)) rank = n + 1;
    if (this.disordered[v] === 0 || createdMs < lastC) {
      this.lastCreated[v] = createdMs;
      this.lastTie[v] = tie;
      this.lastDay[v] = day;
      this.lastWeek[v] = week;
      this.lastMonth[v] = month;
    }
    this.state.set(i, flagged ? FLAGGED : rank > 0 ? ANNOUNCED : PENDING);
    return flagged ? 0 : rank;
  }

  /**
   * After a complete listing: the candidates of out-of-order volumes that rank past what their
   * volume keeps and were not announced, rebuilt from the columns (id, name, status, volume,
   * size, created_at to the millisecond; no description, metadata or updated_at).
   */
  *late(): Generator<Excess> {
    if (this.disorderedVolumes === 0) return;
    const order: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.disordered[this.volume.get(i)] === 1) order.push(i);
    const { volume, created, ids } = this;
    order.sort((a, b) => volume.get(a) - volume.get(b) || created.get(b) - created.get(a) || ids.first(b) - ids.first(a));
    let current = -1;
    let rank = 0;
    let prev = [NONE, NONE, NONE];
    for (const i of order) {
      const v = volume.get(i);
      if (v !== current) {
        current = v;
        rank = 0;
        prev = [NONE, NONE, NONE];
      }
      rank++;
      const c = created.get(i);
      const keys = [dayOf(c), this.keep.weekly > 0 ? weekOf(c) : 0, this.keep.monthly > 0 ? monthOf(c) : 0] as const;
      const keptHere = this.kept(rank, keys[0], keys[1], keys[2], prev[0] as number, prev[1] as number, prev[2] as number);
      prev = [...keys];
      if (keptHere || this.state.get(i) !== PENDING) continue;
      this.state.set(i, ANNOUNCED);
      yield { snapshot: this.snapshotAt(i), rank };
    }
  }

  private snapshotAt(i: number): Snapshot {
    const name = this.nameOf.get(i);
    return {
      id: this.ids.get(i),
      name: name === NO_NAME ? null : (this.names.values[name] ?? null),
      status: this.statuses.values[this.statusOf.get(i)] ?? 'available',
      description: null,
      created_at: `${new Date(this.created.get(i)).toISOString().slice(0, 23)}000`,
      updated_at: null,
      metadata: {},
      volume_id: this.volumeIds.get(this.volume.get(i)),
      size: this.gb.get(i),
    };
  }

  private growVolumes(n: number): void {
    const before = this.count.length;
    this.count = grow(this.count, n, (k) => new Int32Array(k));
    this.lastCreated = grow(this.lastCreated, n, (k) => new Float64Array(k));
    this.lastTie = grow(this.lastTie, n, (k) => new Uint32Array(k));
    this.lastDay = grow(this.lastDay, n, (k) => new Int32Array(k));
    this.lastWeek = grow(this.lastWeek, n, (k) => new Int32Array(k));
    this.lastMonth = grow(this.lastMonth, n, (k) => new Int32Array(k));
    this.disordered = grow(this.disordered, n, (k) => new Uint8Array(k));
    this.lastDay.fill(NONE, before);
    this.lastWeek.fill(NONE, before);
    this.lastMonth.fill(NONE, before);
  }
}
