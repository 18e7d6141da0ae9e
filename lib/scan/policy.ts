/** What the scanner reports, each with a fixed severity. */
export const FINDING_TYPES = ['ERROR_STATUS', 'STUCK', 'STALE', 'UNKNOWN_STATUS'] as const;
export type FindingType = (typeof FINDING_TYPES)[number];

export type Severity = 'high' | 'medium' | 'low';

export const SEVERITY: Record<FindingType, Severity> = {
  ERROR_STATUS: 'high',
  STUCK: 'medium',
  STALE: 'low',
  UNKNOWN_STATUS: 'medium',
};

export const ERROR_STATUSES = ['error', 'error_deleting'] as const;
export const HEALTHY_STATUSES = ['available'] as const;

/** Transitional statuses and how long (minutes) one may last before it counts as stuck. */
export const DEFAULT_STUCK_MINUTES: Readonly<Record<string, number>> = {
  creating: 60,
  deleting: 60,
  rollbacking: 360,
  'backing-up': 1440,
  restoring: 360,
  unmanaging: 60,
};

export interface ScanPolicy {
  stuckAfterMinutes: Readonly<Record<string, number>>;
  staleAfterDays: number;
  /** Leave snapshots made automatically by server backups (`__system__enableActive`) out of STALE. */
  staleExcludesAutomatic: boolean;
}

export const DEFAULT_POLICY: ScanPolicy = {
  stuckAfterMinutes: DEFAULT_STUCK_MINUTES,
  staleAfterDays: 90,
  staleExcludesAutomatic: true,
};

/** Metadata key EVS sets on snapshots made automatically by a cloud server backup. */
export const AUTOMATIC_SNAPSHOT_KEY = '__system__enableActive';
