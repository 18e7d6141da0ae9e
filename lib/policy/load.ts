import { type FieldPath, lazyValidator, readConfigDocument } from '../config/config-file';
import { compileSafePattern, PatternError } from '../core/safe-pattern';
import defaultPolicyDocument from './default-policy.json';
import type { ExclusionSpec, MatchSpec, PolicyDocument } from './document';
import schema from './policy.schema.json';
import { checkRuleKinds } from './rule-kinds';

export type {
  CleanupSpec,
  ExclusionSpec,
  MatchSpec,
  MetadataSpec,
  NameSpec,
  OverrideSpec,
  PolicyDocument,
  RulePatch,
  RuleSpec,
  StatusSpec,
} from './document';

const UNIT_MINUTES: Readonly<Record<string, number>> = { m: 1, h: 60, d: 1_440, w: 10_080, y: 525_600 };

/** `90d` → 129600: a duration of the policy format in minutes (`0d` → 0, cleanup's `after`). */
export function durationMinutes(text: string): number {
  return Number(text.slice(0, -1)) * (UNIT_MINUTES[text.slice(-1)] ?? Number.NaN);
}

const validate = lazyValidator(schema);

/** The checks a schema cannot say: names that must exist or be unique, patterns that compile, ranges that are not empty. */
function checkMatch(match: MatchSpec, path: FieldPath, fail: (path: FieldPath, why: string) => never): void {
  const compiles = (pattern: string, at: FieldPath) => {
    try {
      compileSafePattern(pattern);
    } catch (error) {
      fail(at, error instanceof PatternError ? error.message : 'is not a valid regular expression');
    }
  };
  if (match.name && typeof match.name === 'object' && !Array.isArray(match.name))
    compiles(match.name.pattern, [...path, 'name', 'pattern']);
  for (const [key, spec] of Object.entries(match.metadata ?? {})) {
    if (typeof spec === 'object' && 'pattern' in spec) compiles(spec.pattern, [...path, 'metadata', key, 'pattern']);
  }
  if (
    match.age?.over !== undefined &&
    match.age.under !== undefined &&
    durationMinutes(match.age.over) >= durationMinutes(match.age.under)
  ) {
    fail([...path, 'age'], `over ${match.age.over} and under ${match.age.under} leave no age that matches`);
  }
  if (match.size?.over !== undefined && match.size.under !== undefined && match.size.over + 1 >= match.size.under) {
    fail([...path, 'size'], `over ${match.size.over} and under ${match.size.under} leave no size that matches`);
  }
}

/**
 * Reads a policy file (YAML or JSON) and checks it against policy.schema.json and the rules the
 * schema cannot say. Every error names the file, line and column, and the field, e.g.
 * `policy.yml:7:9: rules[1].match.age.over must match pattern "^[1-9][0-9]{0,6}[mhdwy]$"`.
 */
export function parsePolicy(text: string, source: string): PolicyDocument {
  const { value, fail } = readConfigDocument<PolicyDocument>(text, source, validate, (error) =>
    error.keyword === 'pattern' || error.keyword === 'const' ? error.message : undefined,
  );
  const rules = new Set<string>();
  value.rules.forEach((rule, i) => {
    if (rules.has(rule.name)) fail(['rules', i, 'name'], `"${rule.name}" is used by another rule`);
    rules.add(rule.name);
    checkMatch(rule.match, ['rules', i, 'match'], fail);
    if (rule.cleanup && rule.finding === 'UNPROTECTED_VOLUME')
      fail(
        ['rules', i, 'cleanup'],
        'cannot be set on an UNPROTECTED_VOLUME rule: its findings are volumes, not snapshots to delete',
      );
  });
  const checkExclusions = (list: ExclusionSpec[] | undefined, path: FieldPath) => {
    const names = new Set<string>();
    list?.forEach((exclusion, i) => {
      if (names.has(exclusion.name)) fail([...path, i, 'name'], `"${exclusion.name}" is used by another exclusion`);
      names.add(exclusion.name);
      exclusion.rules?.forEach((name, j) => {
        if (!rules.has(name)) fail([...path, i, 'rules', j], `names "${name}", which is not a rule of this policy`);
      });
      checkMatch(exclusion.match, [...path, i, 'match'], fail);
    });
  };
  checkExclusions(value.exclude, ['exclude']);
  const overrides = new Set<string>();
  value.overrides?.forEach((override, i) => {
    if (overrides.has(override.name)) fail(['overrides', i, 'name'], `"${override.name}" is used by another override`);
    overrides.add(override.name);
    for (const [name, patch] of Object.entries(override.rules ?? {})) {
      if (!rules.has(name))
        fail(['overrides', i, 'rules', name], `names "${name}", which is not a rule of this policy`);
      if (patch.match) checkMatch(patch.match, ['overrides', i, 'rules', name, 'match'], fail);
    }
    checkExclusions(override.exclude, ['overrides', i, 'exclude']);
  });
  const exclusionsOf = (list: ExclusionSpec[] | undefined, path: FieldPath) =>
    (list ?? []).map((e, i) => ({ match: e.match, path: [...path, i, 'match'] }));
  checkRuleKinds(
    value.rules,
    [
      ...exclusionsOf(value.exclude, ['exclude']),
      ...(value.overrides ?? []).flatMap((o, i) => exclusionsOf(o.exclude, ['overrides', i, 'exclude'])),
    ],
    (value.overrides ?? []).flatMap((o, i) =>
      Object.entries(o.rules ?? {}).flatMap(([rule, patch]) =>
        patch.match ? [{ rule, match: patch.match, path: ['overrides', i, 'rules', rule, 'match'] }] : [],
      ),
    ),
    fail,
  );
  return value;
}

/**
 * The built-in policy (lib/policy/default-policy.json). It is checked against the schema by the
 * tests, not at every cold start: validating it here would compile the policy schema with ajv
 * and parse the file again in every scanner that has no policy file, to learn what the tests
 * already proved.
 */
export function defaultPolicy(): PolicyDocument {
  return defaultPolicyDocument as PolicyDocument;
}

/** The deprecated environment knobs of the built-in policy. */
export interface DefaultPolicyTuning {
  staleAfterDays?: number;
  stuckAfterMinutes?: Readonly<Record<string, number>>;
  staleExcludesAutomatic?: boolean;
}

/**
 * The built-in policy with the thresholds STALE_AFTER_DAYS, STUCK_AFTER_MINUTES and
 * STALE_EXCLUDE_AUTOMATIC set: the same document, edited where those settings point.
 */
export function tuneDefaultPolicy(doc: PolicyDocument, tuning: DefaultPolicyTuning): PolicyDocument {
  const rules = doc.rules.map((rule) => {
    const status = typeof rule.match.status === 'string' ? rule.match.status : undefined;
    if (rule.name === 'stale' && tuning.staleAfterDays !== undefined && rule.match.age) {
      return { ...rule, match: { ...rule.match, age: { ...rule.match.age, over: `${tuning.staleAfterDays}d` } } };
    }
    const minutes =
      status !== undefined &&
      rule.finding === 'STUCK' &&
      tuning.stuckAfterMinutes &&
      Object.hasOwn(tuning.stuckAfterMinutes, status)
        ? tuning.stuckAfterMinutes[status]
        : undefined;
    if (minutes !== undefined && rule.match.age)
      return { ...rule, match: { ...rule.match, age: { ...rule.match.age, over: `${minutes}m` } } };
    return rule;
  });
  const exclude =
    tuning.staleExcludesAutomatic === false ? doc.exclude?.filter((e) => e.name !== 'automatic-backups') : doc.exclude;
  return { ...doc, rules, ...(exclude ? { exclude } : {}) };
}
