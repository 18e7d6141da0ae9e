/** Snapshot timestamps as EVS and Cinder write them. */
import type { Snapshot } from './snapshot';

const ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

/** Parses an EVS/Cinder timestamp; one without a zone is UTC. NaN if unreadable. */
export function parseUpstreamTime(value: string | null | undefined): number {
  if (!value) return Number.NaN;
  // Fast path for what Cinder and EVS send: `2016-02-16T16:54:14[.981520]`, no zone. This runs
  // for every snapshot of every scan, so it avoids regular expressions.
  const last = value.charCodeAt(value.length - 1);
  if (
    value.length >= 19 &&
    value.length <= 26 &&
    value[10] === 'T' &&
    last >= 48 &&
    last <= 57 &&
    (value.length === 19 || (value[19] === '.' && value.indexOf('-', 19) < 0 && value.indexOf('+', 19) < 0))
  ) {
    return Date.parse(`${value.length > 23 ? value.slice(0, 23) : value}Z`);
  }
  const text = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?/.test(text)) return Number.NaN;
  // Date.parse handles milliseconds only; microseconds are dropped, which no threshold notices.
  const normalised = text.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1');
  return Date.parse(ZONE.test(normalised) ? normalised : `${normalised}Z`);
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
