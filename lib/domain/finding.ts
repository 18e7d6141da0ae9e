/** What the scanner reports, each with a fixed severity. */
export const FINDING_TYPES = ['ERROR_STATUS', 'STUCK', 'STALE', 'UNKNOWN_STATUS'] as const;
export type FindingType = (typeof FINDING_TYPES)[number];

export type Severity = 'high' | 'medium' | 'low';

export const SEVERITY: Readonly<Record<FindingType, Severity>> = {
  ERROR_STATUS: 'high',
  STUCK: 'medium',
  STALE: 'low',
  UNKNOWN_STATUS: 'medium',
};

/** The classifier's verdict on one snapshot. */
export interface Classification {
  type: FindingType;
  severity: Severity;
  /** A sentence for people reading the alert. */
  reason: string;
  /** The threshold that was crossed, in minutes; null when the finding has none. */
  thresholdMinutes: number | null;
  /** Age of the timestamp the rule measured, in whole minutes; null if it could not be read. */
  ageMinutes: number | null;
  /** Which timestamp the age was measured from. */
  measuredFrom: 'created_at' | 'updated_at';
}
