/** What the scanner reports. A policy's rules say which snapshots are which, and how severe. */
export const FINDING_TYPES = ['ERROR_STATUS', 'STUCK', 'STALE', 'UNKNOWN_STATUS', 'ORPHANED'] as const;
export type FindingType = (typeof FINDING_TYPES)[number];

export const SEVERITIES = ['high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * A duration for people: minutes under two hours, hours under two days, then days. A negative
 * one comes from a timestamp in the future (a clock or an upstream that is wrong): said so, never
 * "for -4193429803 minutes".
 */
export function describeMinutes(minutes: number): string {
  if (!Number.isFinite(minutes)) return 'an unknown time';
  if (minutes < 0) return 'an unknown time (its timestamp is in the future)';
  if (minutes < 120) return `${minutes} minutes`;
  if (minutes < 2_880) return `${Math.floor(minutes / 60)} hours`;
  return `${Math.floor(minutes / 1_440)} days`;
}

/** The classifier's verdict on one snapshot. */
export interface Classification {
  type: FindingType;
  severity: Severity;
  /** The policy rule that matched (the first, in the policy's order). */
  rule: string;
  /** A sentence for people reading the alert. */
  reason: string;
  /** The threshold that was crossed, in minutes; null when the finding has none. */
  thresholdMinutes: number | null;
  /** Age of the timestamp the rule measured, in whole minutes; null if it could not be read. */
  ageMinutes: number | null;
  /** Which timestamp the age was measured from. */
  measuredFrom: 'created_at' | 'updated_at';
}
