import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { classifySnapshot, parseUpstreamTime } from '../../lib/scan/classify';
import { DEFAULT_POLICY, type ScanPolicy } from '../../lib/domain/policy';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const MIN = 60_000;
const DAY = 1_440 * MIN;

/** A zone-less Cinder timestamp `ms` before NOW. */
const ago = (ms: number) => new Date(NOW - ms).toISOString().replace('Z', '').replace(/(\.\d{3})$/, '$1000');

function snap(status: string, created: number, updated: number | null = null, metadata: Record<string, string> = {}): Snapshot {
  return { id: 's', status, name: 'n', description: null, created_at: ago(created), updated_at: updated === null ? null : ago(updated), metadata, volume_id: 'v', size: 1 };
}

const type = (s: Snapshot, policy: ScanPolicy = DEFAULT_POLICY) => classifySnapshot(s, policy, NOW)?.type;

describe('snapshot classification', () => {
  it.each(['error', 'error_deleting'])('flags %s as ERROR_STATUS with high severity at any age', (status) => {
    const c = classifySnapshot(snap(status, MIN), DEFAULT_POLICY, NOW);
    expect(c).toMatchObject({ type: 'ERROR_STATUS', severity: 'high', thresholdMinutes: null, ageMinutes: 1 });
    expect(c?.reason).toContain(status);
  });

  it.each([
    ['creating', 60],
    ['deleting', 60],
    ['rollbacking', 360],
    ['backing-up', 1440],
    ['restoring', 360],
    ['unmanaging', 60],
  ])('flags %s as STUCK only past %i minutes, not exactly at it', (status, minutes) => {
    expect(type(snap(status, minutes * MIN))).toBeUndefined();
    expect(type(snap(status, minutes * MIN - 1_000))).toBeUndefined();
    const c = classifySnapshot(snap(status, minutes * MIN + 1_000), DEFAULT_POLICY, NOW);
    expect(c).toMatchObject({ type: 'STUCK', severity: 'medium', thresholdMinutes: minutes, ageMinutes: minutes, measuredFrom: 'created_at' });
  });

  it('measures STUCK from updated_at when there is one, else from created_at', () => {
    expect(type(snap('creating', 400 * DAY, 10 * MIN))).toBeUndefined();
    expect(classifySnapshot(snap('creating', 400 * DAY, 61 * MIN), DEFAULT_POLICY, NOW)).toMatchObject({ type: 'STUCK', ageMinutes: 61, measuredFrom: 'updated_at' });
  });

  it('flags available snapshots older than STALE_AFTER_DAYS by created_at, strictly past the limit', () => {
    expect(type(snap('available', 90 * DAY))).toBeUndefined();
    const c = classifySnapshot(snap('available', 90 * DAY + 1_000, MIN), DEFAULT_POLICY, NOW);
    expect(c).toMatchObject({ type: 'STALE', severity: 'low', thresholdMinutes: 90 * 1_440, measuredFrom: 'created_at' });
    expect(type(snap('available', 89 * DAY))).toBeUndefined();
  });

  it('leaves automatic backup snapshots out of STALE by default, and in when configured', () => {
    const auto = snap('available', 400 * DAY, null, { __system__enableActive: 'true' });
    expect(type(auto)).toBeUndefined();
    expect(type(auto, { ...DEFAULT_POLICY, staleExcludesAutomatic: false })).toBe('STALE');
  });

  it('still flags an automatic snapshot in error', () => {
    expect(type(snap('error', DAY, null, { __system__enableActive: 'true' }))).toBe('ERROR_STATUS');
  });

  it.each(['deleted', 'updating', 'frozen', '', 'AVAILABLE'])('never treats the unknown status %j as healthy', (status) => {
    expect(classifySnapshot(snap(status, MIN), DEFAULT_POLICY, NOW)).toMatchObject({ type: 'UNKNOWN_STATUS', severity: 'medium' });
  });

  it('uses the thresholds it is given', () => {
    const policy: ScanPolicy = { ...DEFAULT_POLICY, stuckAfterMinutes: { ...DEFAULT_POLICY.stuckAfterMinutes, creating: 5 }, staleAfterDays: 7 };
    expect(type(snap('creating', 6 * MIN), policy)).toBe('STUCK');
    expect(type(snap('available', 8 * DAY), policy)).toBe('STALE');
  });

  it('reads zone-less timestamps as UTC and honours an explicit zone', () => {
    expect(parseUpstreamTime('2016-02-16T16:54:14.981520')).toBe(Date.parse('2016-02-16T16:54:14.981Z'));
    expect(parseUpstreamTime('2016-02-16T16:54:14')).toBe(Date.parse('2016-02-16T16:54:14Z'));
    expect(parseUpstreamTime('2016-02-16 16:54:14')).toBe(Date.parse('2016-02-16T16:54:14Z'));
    expect(parseUpstreamTime('2016-02-16T16:54:14+08:00')).toBe(Date.parse('2016-02-16T08:54:14Z'));
    expect(parseUpstreamTime('2016-02-16T16:54:14Z')).toBe(Date.parse('2016-02-16T16:54:14Z'));
    expect(parseUpstreamTime('yesterday')).toBeNaN();
    expect(parseUpstreamTime(null)).toBeNaN();
  });

  it('does not call a transitional snapshot stuck when its time cannot be read', () => {
    expect(type({ ...snap('creating', 0), created_at: 'garbage' })).toBeUndefined();
  });
});
