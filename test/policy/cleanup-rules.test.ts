/** Cleanup terms in the policy file: what is accepted, what is refused (file, line, field), and what they do to matching. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPS, exceededCaps } from '../../lib/cleanup/decide';
import type { Snapshot } from '../../lib/domain/snapshot';
import { parsePolicy } from '../../lib/policy/load';
import { createPolicy, judgeSnapshot } from '../../lib/policy/policy';

const NOW = Date.UTC(2026, 11, 6, 12);
const rule = (
  cleanup: string,
  finding = 'STALE',
  match = '{ status: available, age: { from: created_at, over: 90d } }',
) =>
  `version: 1\nrules:\n  - name: old\n    finding: ${finding}\n    severity: low\n    match: ${match}\n    cleanup: ${cleanup}\n`;
const parseError = (text: string) => {
  try {
    parsePolicy(text, 'policy.yml');
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
};

describe('cleanup on a policy rule', () => {
  it('accepts after and approval, and gives each project the terms in minutes', () => {
    const policy = createPolicy(parsePolicy(rule('{ after: 14d, approval: required }'), 'policy.yml')).forProject(
      'default',
      'p',
    );
    expect([...policy.cleanup.values()]).toEqual([{ rule: 'old', afterMinutes: 14 * 1_440, approval: 'required' }]);
    expect([
      ...createPolicy(parsePolicy(rule('{ after: 0d, approval: none }'), 'p.yml'))
        .forProject('default', 'p')
        .cleanup.values(),
    ]).toEqual([{ rule: 'old', afterMinutes: 0, approval: 'none' }]);
  });

  it('is absent from rules without it: nothing to delete', () => {
    const text =
      'version: 1\nrules:\n  - name: old\n    finding: STALE\n    severity: low\n    match: { status: available }\n';
    expect(createPolicy(parsePolicy(text, 'p.yml')).forProject('default', 'p').cleanup.size).toBe(0);
  });

  it('refuses a bad duration, a missing or unknown approval, an unknown key and a volume rule, naming file, line and field', () => {
    expect(parseError(rule('{ after: 2 weeks, approval: none }'))).toMatch(
      /^policy\.yml:7:\d+: rules\[0\]\.cleanup\.after must match pattern/,
    );
    expect(parseError(rule('{ after: 14d }'))).toMatch(
      /^policy\.yml:7:\d+: rules\[0\]\.cleanup is missing "approval"$/,
    );
    expect(parseError(rule('{ after: 14d, approval: maybe }'))).toMatch(
      /^policy\.yml:7:\d+: rules\[0\]\.cleanup\.approval must be one of required, none$/,
    );
    expect(parseError(rule('{ after: 14d, approval: none, force: true }'))).toMatch(
      /^policy\.yml:7:\d+: rules\[0\]\.cleanup\.force is not a field of this object$/,
    );
    expect(
      parseError(rule('{ after: 14d, approval: none }', 'UNPROTECTED_VOLUME', '{ noSnapshotWithin: 7d }')),
    ).toMatch(/^policy\.yml:7:\d+: rules\[0\]\.cleanup cannot be set on an UNPROTECTED_VOLUME rule/);
  });

  it("keeps any cleanup rule away from the cloud's own backup snapshots, whatever its finding type", () => {
    const policy = createPolicy(
      parsePolicy(rule('{ after: 0d, approval: none }', 'ERROR_STATUS', '{ status: error }'), 'p.yml'),
    ).forProject('default', 'p');
    const snapshot = (name: string, metadata: Record<string, string> = {}): Snapshot => ({
      id: 's',
      status: 'error',
      name,
      description: null,
      created_at: '2026-01-01T00:00:00.000000',
      updated_at: null,
      metadata,
      volume_id: 'v',
      size: 1,
    });
    expect(judgeSnapshot(policy, snapshot('autobk_snapshot_vbs_1'), NOW)).toBeUndefined();
    expect(judgeSnapshot(policy, snapshot('mine', { __system__enableActive: 'true' }), NOW)).toBeUndefined();
    expect(judgeSnapshot(policy, snapshot('mine'), NOW)).toMatchObject({ rule: 'old' });
  });
});

describe("the caps a project's deletions must stay within", () => {
  it('by default hold back more than 50 in a run or a day, or more than 10 % of the project', () => {
    expect(exceededCaps(10, 100, 0, DEFAULT_CAPS)).toEqual([]);
    expect(exceededCaps(11, 100, 0, DEFAULT_CAPS)).toEqual([
      '11 of 100 snapshots in one run, over 10 %',
      '11 of 100 snapshots today, over 10 %',
    ]);
    expect(exceededCaps(51, 10_000, 0, DEFAULT_CAPS)).toEqual([
      '51 deletions in one run, over the cap of 50',
      '51 deletions today, over the cap of 50',
    ]);
    expect(exceededCaps(5, 10_000, 46, DEFAULT_CAPS)).toEqual(['51 deletions today, over the cap of 50']);
    // A project whose snapshots could not be counted is never a small share.
    expect(exceededCaps(1, 0, 0, DEFAULT_CAPS)).not.toEqual([]);
  });
});
