import type { Classification, FindingType, Severity } from '../domain/finding';
import type { Transition } from '../domain/transition';
import type { FindingIndex } from './records';

export interface LifecycleSettings {
  /** Re-announce an open finding this long after it was last notified; 0 = never. */
  remindAfterMs: number;
}

/** What to do about one finding seen by this scan. */
export type SeenDecision =
  | {
      kind: 'announce';
      transition: Exclude<Transition, 'RESOLVED' | 'OBSERVED'>;
      basis: string;
      firstSeenAt: number;
      previous?: { findingType: FindingType; severity: Severity };
    }
  | { kind: 'quiet'; suppressed: boolean };

/**
 * Decides the transition for a finding this scan saw, from what the table says of it. Pure: the
 * same item, classification and clock give the same answer. `basis` is what the transition id is
 * made of: the state the transition leaves, so a re-sent transition keeps its id and a new
 * episode gets a new one.
 *
 * `openingStamp` is the project's opening stamp (see `ScanFindingStore.beginOpenings`): stored before
 * any OPENED it names is announced, and kept until a run has recorded everything it announced, so
 * a re-sent OPENED of a finding with no item carries the same id, while a finding whose item is
 * gone (table lost, resolved item expired) opens under a stamp no earlier episode used.
 */
export function decideSeen(
  index: FindingIndex,
  position: number | undefined,
  c: Classification,
  now: number,
  settings: LifecycleSettings,
  openingStamp: string,
): SeenDecision {
  if (position === undefined)
    return { kind: 'announce', transition: 'OPENED', basis: `opened:${openingStamp}`, firstSeenAt: now };
  if (index.stateAt(position) === 'RESOLVED') {
    // A new episode of a retained item: the previous one ended at resolvedAt, which stays until the OPENED is recorded.
    const endedAt = index.resolvedAt[position] ?? 0;
    return {
      kind: 'announce',
      transition: 'OPENED',
      basis: Number.isFinite(endedAt) ? `after:${endedAt}` : `opened:${openingStamp}`,
      firstSeenAt: now,
    };
  }
  const firstSeenAt = index.firstSeenAt[position] as number;
  const lastNotifiedAt = index.lastNotifiedAt[position] as number;
  if (index.stateAt(position) === 'SUPPRESSED') {
    const until = index.suppressedUntil[position] as number;
    if (Number.isFinite(until) && until > now) return { kind: 'quiet', suppressed: true };
    return { kind: 'announce', transition: 'REMINDER', basis: `suppressed-until:${until}`, firstSeenAt };
  }
  const previous = { findingType: index.typeAt(position), severity: index.severityAt(position) };
  if (previous.findingType !== c.type || previous.severity !== c.severity) {
    return {
      kind: 'announce',
      transition: 'CHANGED',
      basis: `${previous.findingType}/${previous.severity}>${c.type}/${c.severity}@${lastNotifiedAt}`,
      firstSeenAt,
      previous,
    };
  }
  if (settings.remindAfterMs > 0 && now - lastNotifiedAt >= settings.remindAfterMs) {
    return { kind: 'announce', transition: 'REMINDER', basis: `after:${lastNotifiedAt}`, firstSeenAt };
  }
  return { kind: 'quiet', suppressed: false };
}

/** Positions of findings open in the table that a complete scan did not see: they are resolved. */
export function unseenOpen(index: FindingIndex): number[] {
  const out: number[] = [];
  for (let i = 0; i < index.size; i++) {
    if (index.seen[i] === 0 && index.stateAt(i) !== 'RESOLVED') out.push(i);
  }
  return out;
}
