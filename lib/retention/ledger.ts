import type { Snapshot } from '../domain/snapshot';
import { Column } from './columns';

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

/** The id's place in Cinder's `id desc` tie-break: a UUID's first 32 bits, else a hash. */
function tieOf(id: string): number {
  if (id.length === 36 && id[8] === '-' && /^[0-9a-f]{8}$/.test(id.slice(0, 8)))
    return Number.parseInt(id.slice(0, 8), 16);
  let h = 2_166_136_261;
  for (let k = 0; k < id.length; k++) h = Math.imul(h ^ id.charCodeAt(k), 16_777_619);
  return h >>> 0;
}

const dayOf = (ms: number) => Math.floor(ms / DAY_MS);
// 1970-01-01 was a Thursday: +3 makes weeks run Monday to Sunday.
const weekOf = (ms: number) => Math.floor((dayOf(ms) + 3) / 7);
const monthOf = (ms: number) => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
};

function grow<T extends Int32Array | Uint32Array | Float64Array | Uint8Array>(
  old: T,
  length: number,
  make: (n: number) => T,
): T {
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
 * meets the rule's other conditions) its volume's position, created_at, the first 32 bits of its
 * id and its state, 17 bytes; for each volume a count and the previous candidate's calendar keys,
 * 29 bytes, beside its place in the volume set. Names, metadata and ids are not kept (a volume's
 * id only once it is listed out of order, to list it again).
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
  /** The ids of the volumes listed out of order, by position: the only ones listed again. */
  private readonly disorderedIds = new Map<number, string>();
  // Per candidate, in chunks (no copies as they grow); the tie-break is the id's first 32 bits.
  private size = 0;
  private readonly volume = new Column((n) => new Int32Array(n));
  private readonly created = new Column((n) => new Float64Array(n));
  private readonly state = new Column((n) => new Uint8Array(n));
  private readonly tie = new Column((n) => new Uint32Array(n));
  /** Record indices of each out-of-order volume, built on the first `decide`. */
  private byVolume: Map<number, number[]> | undefined;

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
  private kept(
    rank: number,
    day: number,
    week: number,
    month: number,
    prevDay: number,
    prevWeek: number,
    prevMonth: number,
  ): boolean {
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
    const tie = tieOf(snapshot.id);
    this.volume.set(i, v);
    this.created.set(i, createdMs);
    this.tie.set(i, tie);
    const n = this.count[v] as number;
    this.count[v] = n + 1;
    const lastC = this.lastCreated[v] as number;
    const inOrder = n === 0 || createdMs < lastC || (createdMs === lastC && tie <= (this.lastTie[v] as number));
    if (!inOrder && this.disordered[v] === 0) {
      this.disordered[v] = 1;
      this.disorderedIds.set(v, snapshot.volume_id);
    }
    const day = dayOf(createdMs);
    const week = this.keep.weekly > 0 ? weekOf(createdMs) : 0;
    const month = this.keep.monthly > 0 ? monthOf(createdMs) : 0;
    let rank = 0;
    if (
      this.disordered[v] === 0 &&
      !this.kept(
        n + 1,
        day,
        week,
        month,
        this.lastDay[v] as number,
        this.lastWeek[v] as number,
        this.lastMonth[v] as number,
      )
    )
      rank = n + 1;
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

  /** The volumes whose snapshots were listed out of order: their ranking waits for `decide`. */
  disorderedVolumeIds(): string[] {
    return [...this.disorderedIds].sort((a, b) => a[0] - b[0]).map(([, id]) => id);
  }

  /**
   * After a complete listing, for a volume listed out of order: ranks its snapshots as the
   * upstream lists them now (`ranked`: those meeting the rule, listed again by volume) and
   * returns the excess ones this scan saw and has not announced, with the snapshot as listed.
   */
  decide(volumeId: string, ranked: ReadonlyArray<{ snapshot: Snapshot; createdMs: number }>): Excess[] {
    const v = this.volumes.add(volumeId);
    if (!this.byVolume) {
      this.byVolume = new Map();
      for (let i = 0; i < this.size; i++) {
        const at = this.volume.get(i);
        if (this.disordered[at] !== 1) continue;
        let list = this.byVolume.get(at);
        if (!list) this.byVolume.set(at, (list = []));
        list.push(i);
      }
    }
    const records = this.byVolume.get(v) ?? [];
    const order = ranked
      .map((r) => ({ ...r, tie: tieOf(r.snapshot.id) }))
      .sort((a, b) => b.createdMs - a.createdMs || b.tie - a.tie);
    const out: Excess[] = [];
    let prev = [NONE, NONE, NONE];
    order.forEach((r, k) => {
      const c = r.createdMs;
      const keys = [dayOf(c), this.keep.weekly > 0 ? weekOf(c) : 0, this.keep.monthly > 0 ? monthOf(c) : 0] as const;
      const kept = this.kept(k + 1, keys[0], keys[1], keys[2], prev[0] as number, prev[1] as number, prev[2] as number);
      prev = [...keys];
      if (kept) return;
      // Only a snapshot this scan saw and left pending; one created since waits for the next scan.
      const i = records.find(
        (j) => this.created.get(j) === c && this.tie.get(j) === r.tie && this.state.get(j) === PENDING,
      );
      if (i === undefined) return;
      this.state.set(i, ANNOUNCED);
      out.push({ snapshot: r.snapshot, rank: k + 1 });
    });
    return out;
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
