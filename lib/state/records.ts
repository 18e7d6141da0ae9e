import type { FindingType, Severity } from '../domain/finding';
import { FINDING_TYPES } from '../domain/finding';
import type { SnapshotCore } from '../events/contract';

export const FINDING_STATES = ['OPEN', 'SUPPRESSED', 'RESOLVED'] as const;
export type FindingState = (typeof FINDING_STATES)[number];
const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low'];

/** The snapshot fields a finding item keeps: what a RESOLVED event and the findings API show. */
export type StoredSnapshot = SnapshotCore;

/** One finding item as the table holds it (key: projectId + findingId). */
export interface FindingItem {
  projectId: string;
  findingId: string;
  snapshotId: string;
  findingType: FindingType;
  severity: Severity;
  state: FindingState;
  snapshot: StoredSnapshot;
  reason: string;
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

/**
 * What a scan needs of every item to decide transitions, held in columns so that 300,000 open
 * findings cost a Map entry and a few numbers each rather than an object apiece.
 */
export class FindingIndex {
  private readonly positions = new Map<string, number>();
  private capacity = 0;
  size = 0;
  type = new Uint8Array(0);
  severity = new Uint8Array(0);
  state = new Uint8Array(0);
  seen = new Uint8Array(0);
  firstSeenAt = new Float64Array(0);
  lastNotifiedAt = new Float64Array(0);
  suppressedUntil = new Float64Array(0);
  resolvedAt = new Float64Array(0);
  ids: string[] = [];

  private grow(): void {
    this.capacity = Math.max(1024, this.capacity * 2);
    const widen = <T extends Uint8Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(this.capacity);
      next.set(old);
      return next;
    };
    this.type = widen(this.type, (n) => new Uint8Array(n));
    this.severity = widen(this.severity, (n) => new Uint8Array(n));
    this.state = widen(this.state, (n) => new Uint8Array(n));
    this.seen = widen(this.seen, (n) => new Uint8Array(n));
    this.firstSeenAt = widen(this.firstSeenAt, (n) => new Float64Array(n));
    this.lastNotifiedAt = widen(this.lastNotifiedAt, (n) => new Float64Array(n));
    this.suppressedUntil = widen(this.suppressedUntil, (n) => new Float64Array(n));
    this.resolvedAt = widen(this.resolvedAt, (n) => new Float64Array(n));
  }

  add(item: Pick<FindingItem, 'findingId' | 'findingType' | 'severity' | 'state' | 'firstSeenAt' | 'lastNotifiedAt'> & { suppressedUntil?: string | undefined; resolvedAt?: string | undefined }): void {
    if (this.positions.has(item.findingId)) return;
    if (this.size === this.capacity) this.grow();
    const i = this.size++;
    this.positions.set(item.findingId, i);
    this.ids.push(item.findingId);
    this.type[i] = Math.max(0, FINDING_TYPES.indexOf(item.findingType));
    this.severity[i] = Math.max(0, SEVERITIES.indexOf(item.severity));
    this.state[i] = Math.max(0, FINDING_STATES.indexOf(item.state));
    this.firstSeenAt[i] = Date.parse(item.firstSeenAt);
    this.lastNotifiedAt[i] = Date.parse(item.lastNotifiedAt);
    this.suppressedUntil[i] = item.suppressedUntil ? Date.parse(item.suppressedUntil) : Number.NaN;
    this.resolvedAt[i] = item.resolvedAt ? Date.parse(item.resolvedAt) : Number.NaN;
  }

  positionOf(findingId: string): number | undefined {
    return this.positions.get(findingId);
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
