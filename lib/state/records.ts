import type { FindingType, Severity } from '../domain/finding';
import { FINDING_TYPES, SEVERITIES } from '../domain/finding';
import type { SnapshotCore } from '../domain/snapshot';
import type { VolumeFields } from '../domain/volume';

export const FINDING_STATES = ['OPEN', 'SUPPRESSED', 'RESOLVED'] as const;
export type FindingState = (typeof FINDING_STATES)[number];

/** The snapshot fields a finding item keeps: what a RESOLVED event and the findings API show. */
export type StoredSnapshot = SnapshotCore;

/** The volume fields a volume's finding item keeps (UNPROTECTED_VOLUME). */
export type StoredVolume = VolumeFields;

/** One finding item as the table holds it (key: projectId + findingId). */
export interface FindingItem {
  projectId: string;
  findingId: string;
  /** A snapshot's finding: the snapshot. Absent on a volume's finding, which has volumeId and volume instead. */
  snapshotId?: string;
  findingType: FindingType;
  severity: Severity;
  state: FindingState;
  snapshot?: StoredSnapshot;
  volumeId?: string;
  volume?: StoredVolume;
  reason: string;
  /** The policy rule that matched when the item was last written (absent on items older than policies). */
  rule?: string;
  firstSeenAt: string;
  /** As of the item's last write: a steady state writes nothing, so these move with transitions. */
  lastSeenAt: string;
  lastNotifiedAt: string;
  runsSeen: number;
  resolvedAt?: string;
  suppressedUntil?: string;
  suppressionReason?: string;
  suppressedBy?: string;
  suppressedAt?: string;
  /** Epoch seconds; DynamoDB's TTL deletes resolved items after the retention period. */
  expiresAt?: number;
}

/** The 4 × 32 bits of a 32-hex-digit finding id, into `out` at `at`; false when it is not one. */
function parseId(id: string, out: Uint32Array, at: number): boolean {
  if (id.length !== 32) return false;
  for (let word = 0; word < 4; word++) {
    let value = 0;
    for (let i = word * 8; i < word * 8 + 8; i++) {
      const c = id.charCodeAt(i);
      const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (digit < 0) return false;
      value = value * 16 + digit;
    }
    out[at + word] = value;
  }
  return true;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/**
 * What a scan needs of every item to decide transitions, in columns: an open-addressing hash
 * table over the ids' 128 bits and typed arrays for the rest, so 300,000 findings cost about
 * 70 bytes each instead of a Map entry, an id string and an object apiece.
 */
export class FindingIndex {
  private capacity = 0;
  private slots = new Int32Array(0);
  private keys = new Uint32Array(0);
  private readonly probe = new Uint32Array(4);
  size = 0;
  type = new Uint8Array(0);
  severity = new Uint8Array(0);
  state = new Uint8Array(0);
  seen = new Uint8Array(0);
  firstSeenAt = new Float64Array(0);
  lastNotifiedAt = new Float64Array(0);
  suppressedUntil = new Float64Array(0);
  resolvedAt = new Float64Array(0);

  private grow(): void {
    this.capacity = Math.max(1024, this.capacity * 2);
    const widen = <T extends Uint8Array | Uint32Array | Float64Array>(old: T, make: (n: number) => T, width = 1): T => {
      const next = make(this.capacity * width);
      next.set(old);
      return next;
    };
    this.keys = widen(this.keys, (n) => new Uint32Array(n), 4);
    this.type = widen(this.type, (n) => new Uint8Array(n));
    this.severity = widen(this.severity, (n) => new Uint8Array(n));
    this.state = widen(this.state, (n) => new Uint8Array(n));
    this.seen = widen(this.seen, (n) => new Uint8Array(n));
    this.firstSeenAt = widen(this.firstSeenAt, (n) => new Float64Array(n));
    this.lastNotifiedAt = widen(this.lastNotifiedAt, (n) => new Float64Array(n));
    this.suppressedUntil = widen(this.suppressedUntil, (n) => new Float64Array(n));
    this.resolvedAt = widen(this.resolvedAt, (n) => new Float64Array(n));
    // Rehash into a table kept at most half full.
    this.slots = new Int32Array(this.capacity * 2).fill(-1);
    for (let i = 0; i < this.size; i++) this.slots[this.find(this.keys, i * 4)] = i;
  }

  /** The slot holding the id at `source[at..at+4]`, or the empty slot where it would go. */
  private find(source: Uint32Array, at: number): number {
    const mask = this.slots.length - 1;
    for (let slot = (source[at] as number) & mask; ; slot = (slot + 1) & mask) {
      const position = this.slots[slot] as number;
      if (position < 0) return slot;
      const k = position * 4;
      if (
        this.keys[k] === source[at] &&
        this.keys[k + 1] === source[at + 1] &&
        this.keys[k + 2] === source[at + 2] &&
        this.keys[k + 3] === source[at + 3]
      )
        return slot;
    }
  }

  add(
    item: Pick<FindingItem, 'findingId' | 'findingType' | 'severity' | 'state' | 'firstSeenAt' | 'lastNotifiedAt'> & {
      suppressedUntil?: string | undefined;
      resolvedAt?: string | undefined;
    },
  ): void {
    // An item whose key is not a finding id (written by hand, say) is not the scanner's to judge.
    if (!parseId(item.findingId, this.probe, 0)) return;
    if (this.size === this.capacity) this.grow();
    const slot = this.find(this.probe, 0);
    if ((this.slots[slot] as number) >= 0) return;
    const i = this.size++;
    this.slots[slot] = i;
    this.keys.set(this.probe, i * 4);
    this.type[i] = Math.max(0, FINDING_TYPES.indexOf(item.findingType));
    this.severity[i] = Math.max(0, SEVERITIES.indexOf(item.severity));
    this.state[i] = Math.max(0, FINDING_STATES.indexOf(item.state));
    this.firstSeenAt[i] = Date.parse(item.firstSeenAt);
    this.lastNotifiedAt[i] = Date.parse(item.lastNotifiedAt);
    this.suppressedUntil[i] = item.suppressedUntil ? Date.parse(item.suppressedUntil) : Number.NaN;
    this.resolvedAt[i] = item.resolvedAt ? Date.parse(item.resolvedAt) : Number.NaN;
  }

  positionOf(findingId: string): number | undefined {
    if (this.size === 0 || !parseId(findingId, this.probe, 0)) return undefined;
    const position = this.slots[this.find(this.probe, 0)] as number;
    return position >= 0 ? position : undefined;
  }

  /** The finding id at a position, rebuilt from its bits. */
  idAt(i: number): string {
    const k = i * 4;
    return (
      hex8(this.keys[k] as number) +
      hex8(this.keys[k + 1] as number) +
      hex8(this.keys[k + 2] as number) +
      hex8(this.keys[k + 3] as number)
    );
  }

  typeAt(i: number): FindingType {
    return FINDING_TYPES[this.type[i] as number] as FindingType;
  }

  severityAt(i: number): Severity {
    return SEVERITIES[this.severity[i] as number] as Severity;
  }

  stateAt(i: number): FindingState {
    return FINDING_STATES[this.state[i] as number] as FindingState;
  }
}
