import { type Classification, SEVERITY } from '../domain/finding';
import { AUTOMATIC_SNAPSHOT_KEY, type Snapshot } from '../domain/snapshot';
import { ERROR_STATUSES, HEALTHY_STATUSES, type ScanPolicy } from '../domain/policy';

const ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

/** Parses an EVS/Cinder timestamp; one without a zone is UTC. NaN if unreadable. */
export function parseUpstreamTime(value: string | null | undefined): number {
  if (!value) return Number.NaN;
  // Fast path for what Cinder and EVS send: `2016-02-16T16:54:14[.981520]`, no zone. This runs
  // for every snapshot of every scan, so it avoids regular expressions.
  const last = value.charCodeAt(value.length - 1);
  if (value.length >= 19 && value.length <= 26 && value[10] === 'T' && last >= 48 && last <= 57 && (value.length === 19 || (value[19] === '.' && value.indexOf('-', 19) < 0 && value.indexOf('+', 19) < 0))) {
    return Date.parse(`${value.length > 23 ? value.slice(0, 23) : value}Z`);
  }
  const text = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?/.test(text)) return Number.NaN;
  // Date.parse handles milliseconds only; microseconds are dropped, which no threshold notices.
  const normalised = text.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1');
  return Date.parse(ZONE.test(normalised) ? normalised : `${normalised}Z`);
}

const ERROR = new Set<string>(ERROR_STATUSES);
const HEALTHY = new Set<string>(HEALTHY_STATUSES);

function ageMinutesOf(epochMs: number, now: number): number | null {
  return Number.isFinite(epochMs) ? Math.floor((now - epochMs) / 60_000) : null;
}

function describeAge(minutes: number): string {
  if (minutes < 120) return `${minutes} minutes`;
  if (minutes < 2_880) return `${Math.floor(minutes / 60)} hours`;
  return `${Math.floor(minutes / 1_440)} days`;
}

/**
 * Decides whether one snapshot is a finding under a policy at `now`. Pure: the same input
 * gives the same answer. Thresholds are strict: an age exactly at a threshold is not past it.
 */
export function classifySnapshot(snapshot: Snapshot, policy: ScanPolicy, now: number): Classification | undefined {
  return classifyWithTimes(snapshot, readTimes(snapshot), policy, now);
}

/** A snapshot's timestamps, parsed once: epoch ms, NaN where unreadable. */
export interface SnapshotTimes {
  created: number;
  /** `updated_at` when readable, else `created_at`: when the status last changed. */
  changedAt: number;
  measuredFrom: 'created_at' | 'updated_at';
}

export function readTimes(snapshot: Snapshot): SnapshotTimes {
  const created = parseUpstreamTime(snapshot.created_at);
  const updated = parseUpstreamTime(snapshot.updated_at);
  return Number.isFinite(updated)
    ? { created, changedAt: updated, measuredFrom: 'updated_at' }
    : { created, changedAt: created, measuredFrom: 'created_at' };
}

/** classifySnapshot for a caller that has already read the times (the scan loop counts unreadable ones). */
export function classifyWithTimes(snapshot: Snapshot, times: SnapshotTimes, policy: ScanPolicy, now: number): Classification | undefined {
  const status = snapshot.status;
  const { created, changedAt, measuredFrom } = times;

  if (ERROR.has(status)) {
    const age = ageMinutesOf(changedAt, now);
    return {
      type: 'ERROR_STATUS',
      severity: SEVERITY.ERROR_STATUS,
      reason: `Snapshot is in status ${status}${age === null ? '' : ` (for ${describeAge(age)})`}.`,
      thresholdMinutes: null,
      ageMinutes: age,
      measuredFrom,
    };
  }

  const stuckAfter = Object.hasOwn(policy.stuckAfterMinutes, status) ? policy.stuckAfterMinutes[status] : undefined;
  if (stuckAfter !== undefined) {
    const ageMs = now - changedAt;
    if (!Number.isFinite(ageMs) || ageMs <= stuckAfter * 60_000) return undefined;
    const age = Math.floor(ageMs / 60_000);
    return {
      type: 'STUCK',
      severity: SEVERITY.STUCK,
      reason: `Snapshot has been ${status} for ${describeAge(age)}, longer than the ${stuckAfter}-minute limit.`,
      thresholdMinutes: stuckAfter,
      ageMinutes: age,
      measuredFrom,
    };
  }

  if (HEALTHY.has(status)) {
    if (policy.staleExcludesAutomatic && Object.hasOwn(snapshot.metadata ?? {}, AUTOMATIC_SNAPSHOT_KEY)) return undefined;
    const limitMinutes = policy.staleAfterDays * 1_440;
    const ageMs = now - created;
    if (!Number.isFinite(ageMs) || ageMs <= limitMinutes * 60_000) return undefined;
    const age = Math.floor(ageMs / 60_000);
    return {
      type: 'STALE',
      severity: SEVERITY.STALE,
      reason: `Snapshot was created ${describeAge(age)} ago, more than the ${policy.staleAfterDays}-day limit.`,
      thresholdMinutes: limitMinutes,
      ageMinutes: age,
      measuredFrom: 'created_at',
    };
  }

  return {
    type: 'UNKNOWN_STATUS',
    severity: SEVERITY.UNKNOWN_STATUS,
    reason: `Snapshot has status "${status}", which the scanner does not know; it is not assumed healthy.`,
    thresholdMinutes: null,
    ageMinutes: ageMinutesOf(changedAt, now),
    measuredFrom,
  };
}
