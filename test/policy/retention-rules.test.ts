/** The policy file's retention, coverage and system-snapshot rules: what is accepted, what is refused and why. */
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { parsePolicy } from '../../lib/policy/load';
import { createPolicy, guardsSystemSnapshots, judgeSnapshot } from '../../lib/policy/policy';
import { loadPolicy } from '../../lib/wiring/settings/scanner';

const NOW = Date.UTC(2026, 11, 6, 12);
const typeOf = (verdict: unknown) =>
  verdict && typeof verdict === 'object' ? (verdict as { type: string }).type : verdict;
const DAY = 86_400_000;
const old = (name: string | null, metadata: Record<string, string> = {}): Snapshot => ({
  id: 's',
  status: 'available',
  name,
  description: null,
  created_at: new Date(NOW - 400 * DAY).toISOString().slice(0, 19),
  updated_at: null,
  metadata,
  volume_id: 'v',
  size: 10,
});

describe('retention and coverage rules in a policy file', () => {
  it("accepts the issue's example exactly as written", () => {
    const text =
      'version: 1\nrules:\n  - name: keep-seven-per-disk\n    finding: EXCESS_RETENTION\n    severity: low\n    match: { status: [available], keepNewestPerVolume: 7 }\n';
    const policy = createPolicy(parsePolicy(text, 'keep.yml')).forProject('default', 'p');
    expect(policy.retention).toMatchObject({
      name: 'keep-seven-per-disk',
      severity: 'low',
      keep: { newest: 7, daily: 0, weekly: 0, monthly: 0 },
    });
    expect(policy.coverage).toEqual([]);
    // Ranked, never judged one snapshot at a time.
    expect(judgeSnapshot(policy, old('daily'), NOW)).toBeUndefined();
    expect(policy.needsVolumes).toBe(false);
  });

  it('ships policies/keep-per-disk.yml as a valid policy, with a per-project N', () => {
    const policy = loadPolicy({ SCAN_POLICY_FILE: 'policies/keep-per-disk.yml' });
    expect(policy.forProject('default', 'p').retention?.keep).toEqual({ newest: 7, daily: 0, weekly: 4, monthly: 6 });
    expect(policy.forProject('default', 'f9e8d7c6b5a4938271605f4e3d2c1b0a').retention?.keep.newest).toBe(14);
    expect(
      policy
        .forProject('default', 'p')
        .coverage.map((c) => [c.name, c.withinMinutes, c.watches('in-use'), c.watches('available')]),
    ).toEqual([['unprotected-disks', 7 * 1_440, true, false]]);
    expect(policy.forProject('default', 'p').needsVolumes).toBe(true);
  });

  const rule = (finding: string, match: string) =>
    `version: 1\nrules:\n  - name: a\n    finding: ${finding}\n    severity: low\n    match: ${match}\n`;
  it.each([
    [
      'a keep condition on another finding type',
      rule('STALE', '{ status: available, keepNewestPerVolume: 3 }'),
      'keep.yml:6:54: rules[0].match.keepNewestPerVolume is a condition of EXCESS_RETENTION rules only',
    ],
    [
      'an EXCESS_RETENTION rule keeping nothing in particular',
      rule('EXCESS_RETENTION', '{ status: available }'),
      'rules[0].match.keepNewestPerVolume is required by EXCESS_RETENTION rules',
    ],
    [
      'a negative N',
      rule('EXCESS_RETENTION', '{ keepNewestPerVolume: -1 }'),
      'keep.yml:6:35: rules[0].match.keepNewestPerVolume must be >= 0',
    ],
    [
      'an UNPROTECTED_VOLUME rule with a snapshot condition',
      rule('UNPROTECTED_VOLUME', '{ noSnapshotWithin: 7d, name: x }'),
      'keep.yml:6:42: rules[0].match.name is a snapshot condition; UNPROTECTED_VOLUME rules take only volumeStatus and noSnapshotWithin',
    ],
    [
      'an UNPROTECTED_VOLUME rule without its threshold',
      rule('UNPROTECTED_VOLUME', '{ volumeStatus: in-use }'),
      'rules[0].match.noSnapshotWithin is required by UNPROTECTED_VOLUME rules',
    ],
    [
      'a coverage condition on a snapshot rule',
      rule('STALE', '{ noSnapshotWithin: 7d }'),
      'rules[0].match.noSnapshotWithin is a condition of UNPROTECTED_VOLUME rules only',
    ],
    [
      'a threshold without a unit',
      rule('UNPROTECTED_VOLUME', '{ noSnapshotWithin: 7 }'),
      'rules[0].match.noSnapshotWithin must be string',
    ],
    [
      'two EXCESS_RETENTION rules',
      'version: 1\nrules:\n  - { name: a, finding: EXCESS_RETENTION, severity: low, match: { keepNewestPerVolume: 3 } }\n  - { name: b, finding: EXCESS_RETENTION, severity: low, match: { keepNewestPerVolume: 5 } }\n',
      'keep.yml:4:25: rules[1].finding a policy has one EXCESS_RETENTION rule ("a")',
    ],
    [
      'a keep condition in an exclusion',
      'version: 1\nrules:\n  - { name: a, finding: STALE, severity: low, match: { status: x } }\nexclude:\n  - { name: e, match: { keepNewestPerVolume: 3 } }\n',
      'exclude[0].match.keepNewestPerVolume cannot be used in an exclusion',
    ],
    [
      'an override giving a STALE rule a keep condition',
      'version: 1\nrules:\n  - { name: a, finding: STALE, severity: low, match: { status: x } }\noverrides:\n  - { name: o, projects: [p], rules: { a: { match: { keepNewestPerVolume: 2 } } } }\n',
      'overrides[0].rules.a.match.keepNewestPerVolume is a condition of EXCESS_RETENTION rules only',
    ],
  ])('refuses %s, naming file, line and field', (_label, text, message) => {
    expect(() => parsePolicy(text, 'keep.yml')).toThrow(message);
  });
});

describe("the cloud's own backup snapshots", () => {
  const policy = (yaml: string) => createPolicy(parsePolicy(yaml, 'p.yml')).forProject('default', 'p');
  const greedy = policy(
    'version: 1\nrules:\n  - { name: all-old, finding: STALE, severity: high, match: { age: { from: created_at, over: 1d } } }\n  - { name: all-old-errors, finding: ERROR_STATUS, severity: high, match: { age: { from: created_at, over: 1d } } }\n',
  );

  it('never match a STALE rule, by name or by metadata, whatever its conditions; other findings still apply', () => {
    expect(typeOf(judgeSnapshot(greedy, old('manual'), NOW))).toBe('STALE');
    for (const s of [
      old('autobk_snapshot_vol-1_2026'),
      old('x', { __system__enableActive: 'true' }),
      old(null, { __system__enableActive: '' }),
    ]) {
      const kept: string[] = [];
      expect(
        createPolicy(
          parsePolicy(
            'version: 1\nrules:\n  - { name: all-old, finding: STALE, severity: high, match: { age: { from: created_at, over: 1d } } }\n',
            'p.yml',
          ),
        )
          .forProject('d', 'p')
          .judge(
            s,
            { created: NOW - 400 * DAY, changedAt: NOW - 400 * DAY, measuredFrom: 'created_at' },
            { now: NOW, volumes: undefined, onProtected: (r) => kept.push(r) },
          ),
      ).toBeUndefined();
      expect(kept).toEqual(['all-old']);
      // The next rule, not a cleanup finding, still sees it.
      expect(judgeSnapshot(greedy, s, NOW)).toMatchObject({ type: 'ERROR_STATUS', rule: 'all-old-errors' });
    }
  });

  it('are a property of the finding types that say a snapshot could go: STALE and EXCESS_RETENTION', () => {
    expect(
      ['ERROR_STATUS', 'STUCK', 'STALE', 'UNKNOWN_STATUS', 'ORPHANED', 'EXCESS_RETENTION', 'UNPROTECTED_VOLUME'].filter(
        (finding) => guardsSystemSnapshots({ finding: finding as never }),
      ),
    ).toEqual(['STALE', 'EXCESS_RETENTION']);
    // A name that only contains the prefix is not the backup service's.
    expect(typeOf(judgeSnapshot(greedy, old('my-autobk_snapshot_copy'), NOW))).toBe('STALE');
  });
});
