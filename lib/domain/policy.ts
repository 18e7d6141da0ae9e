/** Thresholds the classifier applies; pure data, passed in. */
export const ERROR_STATUSES = ['error', 'error_deleting'] as const;
export const HEALTHY_STATUSES = ['available'] as const;

/** Transitional statuses and how long (minutes) one may last before it counts as stuck. */
export const DEFAULT_STUCK_MINUTES: Readonly<Record<string, number>> = Object.freeze({
  creating: 60,
  deleting: 60,
  rollbacking: 360,
  'backing-up': 1440,
  restoring: 360,
  unmanaging: 60,
});

export interface ScanPolicy {
  /** Read with Object.hasOwn only: a status may be named `constructor` or `__proto__`. */
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
