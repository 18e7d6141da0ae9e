/**
 * The snapshot policy: the built-in one reproduces the scanner's classification table exactly,
 * and a policy file can say what each team means by stale, orphaned or to be kept.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { parseUpstreamTime } from '../../lib/domain/times';
import { defaultPolicy, type PolicyDocument, parsePolicy, tuneDefaultPolicy } from '../../lib/policy/load';
import { createPolicy, judgeSnapshot, UNDETERMINED } from '../../lib/policy/policy';
import { VolumeSet } from '../../lib/scan/volume-set';
import { loadPolicy } from '../../lib/wiring/settings/scanner';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const MIN = 60_000;
const DAY = 1_440 * MIN;

/** A zone-less Cinder timestamp `ms` before NOW. */
const ago = (ms: number) =>
  new Date(NOW - ms)
    .toISOString()
    .replace('Z', '')
    .replace(/(\.\d{3})$/, '$1000');

function snap(
  status: string,
  created: number,
  updated: number | null = null,
  metadata: Record<string, string> = {},
  extra: Partial<Snapshot> = {},
): Snapshot {
  return {
    id: 's',
    status,
    name: 'n',
    description: null,
    created_at: ago(created),
    updated_at: updated === null ? null : ago(updated),
    metadata,
    volume_id: 'v',
    size: 1,
    ...extra,
  };
}

/** Every snapshot's volume exists unless the test says otherwise. */
const volumesOf = (...ids: string[]) => {
  const set = new VolumeSet();
  for (const id of ids) set.add(id);
  return set;
};
const BUILT_IN = defaultPolicy();
/** `volumes` null: they could not be listed. */
const judge = (
  s: Snapshot,
  doc: PolicyDocument = BUILT_IN,
  volumes: VolumeSet | null = volumesOf('v'),
  target = 'default',
  project = 'p',
) => judgeSnapshot(createPolicy(doc).forProject(target, project), s, NOW, volumes ?? undefined);
const type = (s: Snapshot, doc?: PolicyDocument, volumes?: VolumeSet | null, target?: string, project?: string) => {
  const v = judge(s, doc, volumes, target, project);
  return v === UNDETERMINED ? 'UNDETERMINED' : v?.type;
};

describe('the built-in policy (lib/policy/default-policy.json)', () => {
  it('is a policy file like any other: the loader takes it as written', () => {
    expect(parsePolicy(readFileSync('lib/policy/default-policy.json', 'utf8'), 'default-policy.json')).toEqual(
      BUILT_IN,
    );
  });

  it.each(['error', 'error_deleting'])('flags %s as ERROR_STATUS with high severity at any age', (status) => {
    const c = judge(snap(status, MIN));
    expect(c).toMatchObject({
      type: 'ERROR_STATUS',
      severity: 'high',
      rule: 'error-status',
      thresholdMinutes: null,
      ageMinutes: 1,
    });
    expect(c !== UNDETERMINED && c?.reason).toContain(status);
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
    expect(judge(snap(status, minutes * MIN + 1_000))).toMatchObject({
      type: 'STUCK',
      severity: 'medium',
      rule: `stuck-${status}`,
      thresholdMinutes: minutes,
      ageMinutes: minutes,
      measuredFrom: 'created_at',
    });
  });

  it('measures STUCK from updated_at when there is one, else from created_at', () => {
    expect(type(snap('creating', 400 * DAY, 10 * MIN))).toBeUndefined();
    expect(judge(snap('creating', 400 * DAY, 61 * MIN))).toMatchObject({
      type: 'STUCK',
      ageMinutes: 61,
      measuredFrom: 'updated_at',
    });
  });

  it('flags available snapshots older than 90 days by created_at, strictly past the limit', () => {
    expect(type(snap('available', 90 * DAY))).toBeUndefined();
    const c = judge(snap('available', 90 * DAY + 1_000, MIN));
    expect(c).toMatchObject({
      type: 'STALE',
      severity: 'low',
      rule: 'stale',
      thresholdMinutes: 90 * 1_440,
      measuredFrom: 'created_at',
      reason: 'Snapshot was created 90 days ago, more than the 90-day limit.',
    });
    expect(type(snap('available', 89 * DAY))).toBeUndefined();
  });

  it('leaves automatic backup snapshots out of STALE, even when STALE_EXCLUDE_AUTOMATIC=false drops the exclusion', () => {
    const auto = snap('available', 400 * DAY, null, { __system__enableActive: 'true' });
    expect(type(auto)).toBeUndefined();
    expect(type(auto, tuneDefaultPolicy(BUILT_IN, { staleExcludesAutomatic: false }))).toBeUndefined();
    expect(type(snap('available', 400 * DAY), tuneDefaultPolicy(BUILT_IN, { staleExcludesAutomatic: false }))).toBe(
      'STALE',
    );
  });

  it('still flags an automatic snapshot in error', () => {
    expect(type(snap('error', DAY, null, { __system__enableActive: 'true' }))).toBe('ERROR_STATUS');
  });

  it.each(['deleted', 'updating', 'frozen', '', 'AVAILABLE', '__proto__', 'constructor'])(
    'never treats the unknown status %j as healthy',
    (status) => {
      expect(judge(snap(status, MIN))).toMatchObject({
        type: 'UNKNOWN_STATUS',
        severity: 'medium',
        rule: 'unknown-status',
      });
    },
  );

  it('takes the older threshold variables as edits of the built-in policy', () => {
    const tuned = tuneDefaultPolicy(BUILT_IN, { stuckAfterMinutes: { creating: 5 }, staleAfterDays: 7 });
    expect(type(snap('creating', 6 * MIN), tuned)).toBe('STUCK');
    expect(type(snap('available', 8 * DAY), tuned)).toBe('STALE');
    expect(type(snap('deleting', 6 * MIN), tuned)).toBeUndefined();
  });

  it('calls an available snapshot whose volume is gone ORPHANED, before STALE', () => {
    expect(judge(snap('available', DAY), BUILT_IN, volumesOf('other'))).toMatchObject({
      type: 'ORPHANED',
      severity: 'medium',
      rule: 'orphaned',
      reason: expect.stringContaining('volume v no longer exists'),
    });
    expect(type(snap('available', 400 * DAY), BUILT_IN, volumesOf('other'))).toBe('ORPHANED');
    // An error snapshot is an error first; a snapshot naming no volume is nobody's orphan.
    expect(type(snap('error', DAY), BUILT_IN, volumesOf('other'))).toBe('ERROR_STATUS');
    expect(type(snap('available', DAY, null, {}, { volume_id: '' }), BUILT_IN, volumesOf('other'))).toBeUndefined();
  });

  it('decides nothing it would need the volumes for when they could not be listed, and everything else as usual', () => {
    const unknown = null;
    expect(type(snap('available', DAY), BUILT_IN, unknown)).toBe('UNDETERMINED');
    expect(type(snap('available', 400 * DAY), BUILT_IN, unknown)).toBe('UNDETERMINED');
    expect(type(snap('error', DAY), BUILT_IN, unknown)).toBe('ERROR_STATUS');
    expect(type(snap('creating', DAY), BUILT_IN, unknown)).toBe('STUCK');
    expect(type(snap('deleted', DAY), BUILT_IN, unknown)).toBe('UNKNOWN_STATUS');
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

/** A team's policy: dev projects go stale at 30 days, archives never; `retain=true` is kept; big old ones are high. */
const TEAM_POLICY = `
version: 1
rules:
  - name: error-status
    finding: ERROR_STATUS
    severity: high
    match: { status: [error, error_deleting] }
  - name: huge-and-old
    finding: STALE
    severity: high
    match: { status: available, size: { over: 1000 }, age: { from: created_at, over: 30d } }
  - name: temporary
    finding: STALE
    severity: medium
    match: { name: { pattern: "^tmp-" }, age: { from: created_at, over: 2d } }
  - name: stale
    finding: STALE
    severity: low
    match: { status: available, age: { from: created_at, over: 90d } }
  - name: legacy-volume
    finding: STALE
    severity: low
    enabled: false
    match: { volume: { ids: [legacy-1, legacy-2] } }
exclude:
  - name: keep
    match: { metadata: { retain: "true" } }
  - name: nightly
    rules: [stale]
    match: { name: [nightly, weekly], metadata: { owner: { pattern: "^team-" } } }
overrides:
  - name: dev
    targets: [lab]
    rules:
      stale: { match: { age: { from: created_at, over: 30d } } }
  - name: archive
    projects: [archive-project]
    rules:
      stale: { enabled: false }
      legacy-volume: { enabled: true, severity: medium }
`;

describe('a policy file', () => {
  const team = parsePolicy(TEAM_POLICY, 'team.yml');

  it('takes the first rule that matches, in the file order, with its severity and name', () => {
    expect(judge(snap('available', 40 * DAY, null, {}, { size: 2000 }), team)).toMatchObject({
      type: 'STALE',
      severity: 'high',
      rule: 'huge-and-old',
    });
    expect(judge(snap('available', 100 * DAY, null, {}, { size: 2000 }), team)).toMatchObject({ rule: 'huge-and-old' });
    expect(judge(snap('available', 100 * DAY, null, {}, { size: 1000 }), team)).toMatchObject({
      severity: 'low',
      rule: 'stale',
    });
    expect(judge(snap('creating', 3 * DAY, null, {}, { name: 'tmp-build' }), team)).toMatchObject({
      severity: 'medium',
      rule: 'temporary',
    });
    expect(type(snap('creating', 3 * DAY, null, {}, { name: 'build-tmp-1' }), team)).toBeUndefined();
    // This policy has no unknown-status rule: it is the team's to say.
    expect(type(snap('deleted', 3 * DAY), team)).toBeUndefined();
  });

  it('exempts excluded snapshots from every rule, or from the rules an exclusion names', () => {
    expect(type(snap('error', DAY, null, { retain: 'true' }), team)).toBeUndefined();
    expect(type(snap('error', DAY, null, { retain: 'false' }), team)).toBe('ERROR_STATUS');
    const nightly = snap('available', 100 * DAY, null, { owner: 'team-2' }, { name: 'nightly' });
    expect(type(nightly, team)).toBeUndefined();
    expect(type({ ...nightly, metadata: { owner: 'finance' } }, team)).toBe('STALE');
    // Exempt from `stale`, not from the rule before it.
    expect(judge({ ...nightly, size: 5000 }, team)).toMatchObject({ rule: 'huge-and-old' });
  });

  it('changes rules for the targets and projects an override scopes, and nowhere else', () => {
    const fortyDays = snap('available', 40 * DAY);
    expect(type(fortyDays, team, undefined, 'default', 'p')).toBeUndefined();
    expect(judge(fortyDays, team, undefined, 'lab', 'p')).toMatchObject({
      rule: 'stale',
      thresholdMinutes: 30 * 1_440,
    });
    const old = snap('available', 400 * DAY, null, {}, { volume_id: 'legacy-1' });
    expect(judge(old, team, volumesOf('legacy-1'), 'default', 'p')).toMatchObject({ rule: 'stale' });
    expect(judge(old, team, volumesOf('legacy-1'), 'default', 'archive-project')).toMatchObject({
      rule: 'legacy-volume',
      severity: 'medium',
    });
    expect(type({ ...old, volume_id: 'v' }, team, undefined, 'default', 'archive-project')).toBeUndefined();
  });

  it.each([
    [
      'an unknown field, where it is',
      'version: 1\nrules:\n  - name: a\n    finding: STALE\n    severity: low\n    match: { status: available, colour: red }\n',
      'team.yml:6:41: rules[0].match.colour is not a field of this object',
    ],
    [
      'a duration without a unit',
      'version: 1\nrules:\n  - name: a\n    finding: STALE\n    severity: low\n    match: { age: { from: created_at, over: 90 } }\n',
      'team.yml:6:45: rules[0].match.age.over must be string',
    ],
    [
      'a finding type that does not exist',
      'version: 1\nrules:\n  - { name: a, finding: OLD, severity: low, match: { status: available } }\n',
      'team.yml:3:25: rules[0].finding must be one of ERROR_STATUS, STUCK, STALE, ORPHANED, UNKNOWN_STATUS',
    ],
    [
      'a status in no form the field takes',
      'version: 1\nrules:\n  - { name: a, finding: STALE, severity: low, match: { status: { in: [x] } } }\n',
      'rules[0].match.status is not in a form this field takes: One status, a list of statuses, or {"notIn": [...]}',
    ],
    [
      'a rule name used twice',
      'version: 1\nrules:\n  - { name: a, finding: STALE, severity: low, match: { status: x } }\n  - { name: a, finding: STALE, severity: low, match: { status: y } }\n',
      'team.yml:4:13: rules[1].name "a" is used by another rule',
    ],
    [
      'an exclusion naming no rule',
      'version: 1\nrules:\n  - { name: a, finding: STALE, severity: low, match: { status: x } }\nexclude:\n  - { name: e, rules: [b], match: { status: x } }\n',
      'team.yml:5:24: exclude[0].rules[0] names "b", which is not a rule of this policy',
    ],
    [
      'an override of a rule that is not there',
      'version: 1\nrules:\n  - { name: a, finding: STALE, severity: low, match: { status: x } }\noverrides:\n  - { name: o, projects: [p], rules: { b: { enabled: false } } }\n',
      'team.yml:5:43: overrides[0].rules.b names "b", which is not a rule of this policy',
    ],
    [
      'an override scoping nothing',
      'version: 1\nrules:\n  - { name: a, finding: STALE, severity: low, match: { status: x } }\noverrides:\n  - { name: o, rules: { a: { enabled: false } } }\n',
      'team.yml:5:5: overrides[0] is not in a form this field takes: Changes for the projects it scopes',
    ],
    [
      'a pattern that does not compile',
      'version: 1\nrules:\n  - { name: a, finding: STALE, severity: low, match: { name: { pattern: "((" } } }\n',
      'team.yml:3:73: rules[0].match.name.pattern is not a valid regular expression',
    ],
    [
      'an age range with nothing in it',
      'version: 1\nrules:\n  - { name: a, finding: STALE, severity: low, match: { age: { from: created_at, over: 2d, under: 1d } } }\n',
      'rules[0].match.age over 2d and under 1d leave no age that matches',
    ],
    [
      'no version',
      'rules:\n  - { name: a, finding: STALE, severity: low, match: { status: x } }\n',
      'team.yml:1:1: (top level) is missing "version"',
    ],
  ])('refuses %s, naming file, line, column and field', (_label, text, message) => {
    expect(() => parsePolicy(text, 'team.yml')).toThrow(message);
  });

  it('is read from SCAN_POLICY_FILE, and refuses the older threshold variables beside it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const file = join(dir, 'policy.yml');
    writeFileSync(file, TEAM_POLICY);
    expect(loadPolicy({ SCAN_POLICY_FILE: file }).document.rules.map((r) => r.name)).toEqual([
      'error-status',
      'huge-and-old',
      'temporary',
      'stale',
      'legacy-volume',
    ]);
    expect(() => loadPolicy({ SCAN_POLICY_FILE: file, STALE_AFTER_DAYS: '30' })).toThrow(
      'STALE_AFTER_DAYS and SCAN_POLICY_FILE are both set',
    );
    expect(() => loadPolicy({ SCAN_POLICY_FILE: join(dir, 'missing.yml') })).toThrow('SCAN_POLICY_FILE names');
    writeFileSync(file, 'version: 1\nrules: []\n');
    expect(() => loadPolicy({ SCAN_POLICY_FILE: file })).toThrow(`${file}:2:8: rules must NOT have fewer than 1 items`);
  });

  it('ships the example policy in the repository as a valid policy', () => {
    const examples = ['policies/example.yml'];
    for (const path of examples) expect(() => loadPolicy({ SCAN_POLICY_FILE: path })).not.toThrow();
  });
});
