import type { FieldPath } from '../config/config-file';
import type { MatchSpec, RuleSpec } from './document';

/** The conditions only EXCESS_RETENTION rules take: what each volume keeps. */
export const KEEP_KEYS = [
  'keepNewestPerVolume',
  'keepDailyPerVolume',
  'keepWeeklyPerVolume',
  'keepMonthlyPerVolume',
] as const;
/** The conditions of UNPROTECTED_VOLUME rules, which judge volumes and take no snapshot condition. */
export const COVERAGE_KEYS = ['volumeStatus', 'noSnapshotWithin'] as const;

const has = (match: MatchSpec | undefined, key: string) => !!match && Object.hasOwn(match, key);

/**
 * The checks that tie conditions to finding types: keep...PerVolume only on EXCESS_RETENTION
 * rules (which need one), volumeStatus and noSnapshotWithin only on UNPROTECTED_VOLUME rules
 * (which take nothing else), neither in exclusions, one EXCESS_RETENTION rule per policy.
 */
export function checkRuleKinds(
  rules: readonly RuleSpec[],
  exclusions: ReadonlyArray<{ match: MatchSpec; path: FieldPath }>,
  patches: ReadonlyArray<{ rule: string; match: MatchSpec; path: FieldPath }>,
  fail: (path: FieldPath, why: string) => never,
): void {
  const byName = new Map(rules.map((r) => [r.name, r]));
  const checkMatch = (finding: string, match: MatchSpec, path: FieldPath, whole: boolean) => {
    for (const key of KEEP_KEYS)
      if (has(match, key) && finding !== 'EXCESS_RETENTION')
        fail([...path, key], 'is a condition of EXCESS_RETENTION rules only');
    if (finding === 'UNPROTECTED_VOLUME') {
      for (const key of Object.keys(match))
        if (!(COVERAGE_KEYS as readonly string[]).includes(key))
          fail(
            [...path, key],
            'is a snapshot condition; UNPROTECTED_VOLUME rules take only volumeStatus and noSnapshotWithin',
          );
      if (whole && !has(match, 'noSnapshotWithin'))
        fail([...path, 'noSnapshotWithin'], 'is required by UNPROTECTED_VOLUME rules');
    } else {
      for (const key of COVERAGE_KEYS)
        if (has(match, key)) fail([...path, key], 'is a condition of UNPROTECTED_VOLUME rules only');
    }
    if (whole && finding === 'EXCESS_RETENTION' && !KEEP_KEYS.some((k) => has(match, k)))
      fail(
        [...path, 'keepNewestPerVolume'],
        'is required by EXCESS_RETENTION rules (or another keep...PerVolume condition)',
      );
  };
  let retention: string | undefined;
  rules.forEach((rule, i) => {
    checkMatch(rule.finding, rule.match, ['rules', i, 'match'], true);
    if (rule.finding === 'EXCESS_RETENTION') {
      if (retention !== undefined)
        fail(
          ['rules', i, 'finding'],
          `a policy has one EXCESS_RETENTION rule ("${retention}"); overrides change what it keeps per project`,
        );
      retention = rule.name;
    }
  });
  for (const e of exclusions) {
    for (const key of [...KEEP_KEYS, ...COVERAGE_KEYS])
      if (has(e.match, key)) fail([...e.path, key], 'cannot be used in an exclusion');
  }
  for (const p of patches) {
    const rule = byName.get(p.rule);
    if (rule) checkMatch(rule.finding, p.match, p.path, false);
  }
}
