import { compileSafePattern } from '../core/safe-pattern';
import {
  CLEANUP_FINDING_TYPES,
  type Classification,
  describeMinutes,
  type FindingType,
  type Severity,
} from '../domain/finding';
import { isSystemSnapshot, type Snapshot } from '../domain/snapshot';
import { readTimes, type SnapshotTimes } from '../domain/times';
import type { KeepSpec } from '../retention/ledger';
import { durationMinutes, type ExclusionSpec, type MatchSpec, type PolicyDocument, type RuleSpec } from './load';

/** Whether a volume exists; `has` may answer true for an id it never saw only with negligible odds (see VolumeSet). */
export interface VolumeIndex {
  has(volumeId: string): boolean;
}

/**
 * A rule's answer could not be given because it needs the project's volumes and they could not
 * be listed. The scan then says nothing about the snapshot rather than a wrong thing (e.g. STALE
 * for what the next complete scan calls ORPHANED).
 */
export const UNDETERMINED = Symbol('undetermined');
export type Verdict = Classification | undefined | typeof UNDETERMINED;

/** What one snapshot is judged with: the clock and, when a rule needs them, the project's volumes. */
export interface JudgeContext {
  now: number;
  /** The project's volumes; undefined when they could not be listed. */
  volumes: VolumeIndex | undefined;
  /** Told when a rule matched a snapshot the cloud made for its backups and was kept from it (see guardsSystemSnapshots). */
  onProtected?: (rule: string) => void;
}

/**
 * The project's EXCESS_RETENTION rule: which snapshots it ranks and what each volume keeps. Its
 * findings are decided by the scan's ranking (lib/retention/ledger.ts), after every other rule:
 * a snapshot another rule flags keeps that finding, and still takes its place in the ranking.
 */
export interface RetentionRule {
  name: string;
  severity: Severity;
  keep: KeepSpec;
  /** Whether the snapshot is ranked: it meets the rule's other conditions, no exclusion, and is not the cloud's own. */
  ranks(snapshot: Snapshot, times: SnapshotTimes, ctx: JudgeContext): boolean | typeof UNDETERMINED;
}

/** An UNPROTECTED_VOLUME rule: the volume statuses it watches and how recent a snapshot must be. */
export interface CoverageRule {
  name: string;
  severity: Severity;
  watches(status: string): boolean;
  withinMinutes: number;
}

/** The policy as it applies to one project: the rules after overrides, ready to judge snapshots. */
export interface ProjectPolicy {
  /** Some enabled rule looks at volumes, so the scan lists the project's volumes first. */
  readonly needsVolumes: boolean;
  judge(snapshot: Snapshot, times: SnapshotTimes, ctx: JudgeContext): Verdict;
  /** The enabled EXCESS_RETENTION rule, if any. */
  readonly retention: RetentionRule | undefined;
  /** The enabled UNPROTECTED_VOLUME rules, in order. */
  readonly coverage: readonly CoverageRule[];
  /** The enabled rules that carry `cleanup`, by name. */
  readonly cleanup: ReadonlyMap<string, CleanupTerms>;
  /**
   * Whether the snapshot, as read now, still meets the named rule: for a per-snapshot rule, the
   * rule the policy picks for it is still that one; for the EXCESS_RETENTION rule, it still meets
   * the rule's conditions (its rank is the scan's to decide).
   */
  stillMatches(
    rule: string,
    snapshot: Snapshot,
    times: SnapshotTimes,
    ctx: JudgeContext,
  ): boolean | typeof UNDETERMINED;
}

/**
 * Whether a rule never matches the cloud's own backup snapshots (isSystemSnapshot), whatever its
 * conditions: rules whose findings say a snapshot could go, and every rule that deletes (cleanup).
 */
export function guardsSystemSnapshots(rule: Pick<RuleSpec, 'finding' | 'cleanup'>): boolean {
  return CLEANUP_FINDING_TYPES.includes(rule.finding) || rule.cleanup !== undefined;
}

/** A rule's cleanup terms, ready to use: the grace period in minutes and whether approval is needed. */
export interface CleanupTerms {
  rule: string;
  afterMinutes: number;
  approval: 'required' | 'none';
}

export interface Policy {
  readonly document: PolicyDocument;
  /** The policy for one project of one target, built once and kept. */
  forProject(target: string, projectId: string): ProjectPolicy;
}

const NO = 0;
const YES = 1;
const UNKNOWN = 2;
type Tri = typeof NO | typeof YES | typeof UNKNOWN;
type Condition = (snapshot: Snapshot, times: SnapshotTimes, ctx: JudgeContext) => Tri;

interface CompiledMatch {
  /** The status condition alone, so candidates can be picked per status once. */
  status: (status: string) => boolean;
  /** The other conditions, cheapest first; a volume's existence last. */
  rest: Condition[];
  needsVolumes: boolean;
}

interface CompiledRule {
  spec: RuleSpec;
  match: CompiledMatch;
  exclusions: CompiledMatch[];
  /** Never matches a system snapshot (guardsSystemSnapshots). */
  guarded: boolean;
  age: { from: 'created_at' | 'updated_at'; overMinutes: number | undefined } | undefined;
}

function compileStatus(spec: MatchSpec['status']): (status: string) => boolean {
  if (spec === undefined) return () => true;
  if (typeof spec === 'string') return (status) => status === spec;
  if (Array.isArray(spec)) {
    const set = new Set(spec);
    return (status) => set.has(status);
  }
  const set = new Set(spec.notIn);
  return (status) => !set.has(status);
}

function compileMatch(match: MatchSpec): CompiledMatch {
  const rest: Condition[] = [];
  if (match.name !== undefined) {
    const spec = match.name;
    if (typeof spec === 'string') rest.push((s) => (s.name === spec ? YES : NO));
    else if (Array.isArray(spec)) {
      const names = new Set(spec);
      rest.push((s) => (names.has(s.name ?? '') ? YES : NO));
    } else {
      const pattern = compileSafePattern(spec.pattern);
      rest.push((s) => (pattern.test(s.name ?? '') ? YES : NO));
    }
  }
  if (match.size !== undefined) {
    const { over = Number.NEGATIVE_INFINITY, under = Number.POSITIVE_INFINITY } = match.size;
    rest.push((s) => (typeof s.size === 'number' && s.size > over && s.size < under ? YES : NO));
  }
  for (const [key, spec] of Object.entries(match.metadata ?? {})) {
    const value = (s: Snapshot) => (s.metadata && Object.hasOwn(s.metadata, key) ? String(s.metadata[key]) : undefined);
    if (typeof spec === 'string') rest.push((s) => (value(s) === spec ? YES : NO));
    else if ('present' in spec) rest.push((s) => ((value(s) !== undefined) === spec.present ? YES : NO));
    else {
      const pattern = compileSafePattern(spec.pattern);
      rest.push((s) => {
        const v = value(s);
        return v !== undefined && pattern.test(v) ? YES : NO;
      });
    }
  }
  if (match.volume?.ids !== undefined) {
    const ids = new Set(match.volume.ids);
    rest.push((s) => (ids.has(s.volume_id) ? YES : NO));
  }
  if (match.age !== undefined) {
    const overMs = match.age.over === undefined ? Number.NEGATIVE_INFINITY : durationMinutes(match.age.over) * 60_000;
    const underMs =
      match.age.under === undefined ? Number.POSITIVE_INFINITY : durationMinutes(match.age.under) * 60_000;
    const fromUpdated = match.age.from === 'updated_at';
    rest.push((_s, times, ctx) => {
      // NaN (an unreadable time) meets no age condition.
      const ageMs = ctx.now - (fromUpdated ? times.changedAt : times.created);
      return ageMs > overMs && ageMs < underMs ? YES : NO;
    });
  }
  const exists = match.volume?.exists;
  if (exists !== undefined) {
    rest.push((s, _t, ctx) => {
      // A snapshot naming no volume cannot be an orphan of one.
      if (typeof s.volume_id !== 'string' || s.volume_id === '') return NO;
      if (!ctx.volumes) return UNKNOWN;
      return ctx.volumes.has(s.volume_id) === exists ? YES : NO;
    });
  }
  return { status: compileStatus(match.status), rest, needsVolumes: exists !== undefined };
}

function test(match: CompiledMatch, snapshot: Snapshot, times: SnapshotTimes, ctx: JudgeContext): Tri {
  for (const condition of match.rest) {
    const answer = condition(snapshot, times, ctx);
    if (answer !== YES) return answer;
  }
  return YES;
}

function describeLimit(minutes: number): string {
  return minutes % 1_440 === 0 ? `${minutes / 1_440}-day` : `${minutes}-minute`;
}

/** A sentence for people reading the alert, by finding type. */
function reasonFor(type: FindingType, snapshot: Snapshot, age: number | null, limit: number | null): string {
  const status = snapshot.status;
  switch (type) {
    case 'ERROR_STATUS':
      return `Snapshot is in status ${status}${age === null ? '' : ` (for ${describeMinutes(age)})`}.`;
    case 'STUCK':
      return limit !== null && age !== null
        ? `Snapshot has been ${status} for ${describeMinutes(age)}, longer than the ${limit}-minute limit.`
        : `Snapshot is stuck in status ${status}.`;
    case 'STALE':
      return limit !== null && age !== null
        ? `Snapshot was created ${describeMinutes(age)} ago, more than the ${describeLimit(limit)} limit.`
        : 'Snapshot is stale under this policy.';
    case 'ORPHANED':
      return `Snapshot's volume ${snapshot.volume_id} no longer exists; the snapshot is kept (and billed) without its disk.`;
    case 'UNKNOWN_STATUS':
      return `Snapshot has status "${status}", which the scanner does not know; it is not assumed healthy.`;
    // Decided by the scan's ranking and volume coverage, with reasons of their own below.
    case 'EXCESS_RETENTION':
      return 'Snapshot is past what its volume keeps under this policy.';
    case 'UNPROTECTED_VOLUME':
      return 'Volume has no recent snapshot.';
  }
}

const ordinal = (n: number) =>
  `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;

/** What a retention rule keeps, in words: `the newest 7, the newest of each of the last 7 days`. */
export function describeKeep(keep: KeepSpec): string {
  const parts = [
    keep.newest > 0 ? `the newest ${keep.newest}` : '',
    keep.daily > 0 ? `the newest of each of the last ${keep.daily} days` : '',
    keep.weekly > 0 ? `of each of the last ${keep.weekly} weeks` : '',
    keep.monthly > 0 ? `of each of the last ${keep.monthly} months` : '',
  ].filter(Boolean);
  return parts.join(', ') || 'nothing';
}

/** The EXCESS_RETENTION finding of a snapshot ranked `rank` (1 = newest) among its volume's snapshots. */
export function excessClassification(
  rule: RetentionRule,
  snapshot: Snapshot,
  createdMs: number,
  rank: number,
  now: number,
): Classification {
  const age = Number.isFinite(createdMs) ? Math.floor((now - createdMs) / 60_000) : null;
  const k = rule.keep;
  return {
    type: 'EXCESS_RETENTION',
    severity: rule.severity,
    rule: rule.name,
    reason: `Snapshot is the ${ordinal(rank)} newest of volume ${snapshot.volume_id}'s snapshots under rule ${rule.name}, which keeps ${describeKeep(k)}.`,
    thresholdMinutes: null,
    ageMinutes: age,
    measuredFrom: 'created_at',
    retention: {
      volumeId: snapshot.volume_id,
      rank,
      keepNewest: k.newest,
      ...(k.daily ? { keepDaily: k.daily } : {}),
      ...(k.weekly ? { keepWeekly: k.weekly } : {}),
      ...(k.monthly ? { keepMonthly: k.monthly } : {}),
    },
  };
}

/** The UNPROTECTED_VOLUME finding of a volume whose newest snapshot is `newestMs` (NaN: none). */
export function unprotectedClassification(
  rule: CoverageRule,
  volume: { id: string; status: string },
  newestMs: number,
  now: number,
): Classification {
  const age = Number.isFinite(newestMs) ? Math.floor((now - newestMs) / 60_000) : null;
  const limit = describeLimit(rule.withinMinutes);
  return {
    type: 'UNPROTECTED_VOLUME',
    severity: rule.severity,
    rule: rule.name,
    reason:
      age === null
        ? `Volume ${volume.id} (${volume.status}) has no available snapshot, and is older than the ${limit} limit.`
        : `Volume ${volume.id} (${volume.status}) has had no new snapshot for ${describeMinutes(age)}, more than the ${limit} limit.`,
    thresholdMinutes: rule.withinMinutes,
    ageMinutes: age,
    measuredFrom: 'created_at',
  };
}

function classification(rule: CompiledRule, snapshot: Snapshot, times: SnapshotTimes, now: number): Classification {
  const fromCreated = rule.age?.from === 'created_at';
  const at = fromCreated ? times.created : times.changedAt;
  const age = Number.isFinite(at) ? Math.floor((now - at) / 60_000) : null;
  const limit = rule.age?.overMinutes ?? null;
  return {
    type: rule.spec.finding,
    severity: rule.spec.severity,
    rule: rule.spec.name,
    reason: reasonFor(rule.spec.finding, snapshot, age, limit),
    thresholdMinutes: limit,
    ageMinutes: age,
    measuredFrom: fromCreated ? 'created_at' : times.measuredFrom,
  };
}

/** Applies the overrides that scope this project, in order, to the document's rules and exclusions. */
function effective(
  doc: PolicyDocument,
  target: string,
  projectId: string,
): { rules: RuleSpec[]; exclude: ExclusionSpec[] } {
  let rules = doc.rules;
  let exclude = doc.exclude ?? [];
  for (const o of doc.overrides ?? []) {
    if (o.targets && !o.targets.includes(target)) continue;
    if (o.projects && !o.projects.includes(projectId)) continue;
    const patches = o.rules ?? {};
    rules = rules.map((rule) => {
      const patch = Object.hasOwn(patches, rule.name) ? patches[rule.name] : undefined;
      if (!patch) return rule;
      return {
        ...rule,
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        ...(patch.severity ? { severity: patch.severity } : {}),
        match: { ...rule.match, ...patch.match },
      };
    });
    if (o.exclude) exclude = [...exclude, ...o.exclude];
  }
  return { rules, exclude };
}

function compileProject(doc: PolicyDocument, target: string, projectId: string): ProjectPolicy {
  const { rules, exclude } = effective(doc, target, projectId);
  const exclusions = exclude.map((e) => ({ rules: e.rules, match: compileMatch(e.match) }));
  const enabled = rules.filter((r) => r.enabled !== false);
  const compile = (spec: RuleSpec): CompiledRule => ({
    spec,
    match: compileMatch(spec.match),
    exclusions: exclusions.filter((e) => !e.rules || e.rules.includes(spec.name)).map((e) => e.match),
    guarded: guardsSystemSnapshots(spec),
    age: spec.match.age
      ? {
          from: spec.match.age.from,
          overMinutes: spec.match.age.over === undefined ? undefined : durationMinutes(spec.match.age.over),
        }
      : undefined,
  });
  // Retention and coverage rules are decided by the scan once it has seen every snapshot; the rest judge each snapshot as it comes.
  const compiled: CompiledRule[] = enabled
    .filter((r) => r.finding !== 'EXCESS_RETENTION' && r.finding !== 'UNPROTECTED_VOLUME')
    .map(compile);
  const retentionSpec = enabled.find((r) => r.finding === 'EXCESS_RETENTION');
  const retentionCompiled = retentionSpec ? compile(retentionSpec) : undefined;
  const retention = retentionCompiled ? retentionRule(retentionCompiled) : undefined;
  const coverage: CoverageRule[] = enabled
    .filter((r) => r.finding === 'UNPROTECTED_VOLUME')
    .map((spec) => ({
      name: spec.name,
      severity: spec.severity,
      watches: compileStatus(spec.match.volumeStatus ?? 'in-use'),
      withinMinutes: durationMinutes(spec.match.noSnapshotWithin ?? '7d'),
    }));
  // The rules a status can meet, in order, worked out once per status seen (a Map: a status may be `__proto__`).
  const byStatus = new Map<string, CompiledRule[]>();
  const candidates = (status: string) => {
    let list = byStatus.get(status);
    if (!list) {
      list = compiled.filter((r) => r.match.status(status));
      if (byStatus.size < 1_000) byStatus.set(status, list);
    }
    return list;
  };
  const withRetention = retentionCompiled ? [...compiled, retentionCompiled] : compiled;
  const cleanup = new Map<string, CleanupTerms>();
  for (const r of enabled)
    if (r.cleanup && r.finding !== 'UNPROTECTED_VOLUME')
      cleanup.set(r.name, {
        rule: r.name,
        afterMinutes: durationMinutes(r.cleanup.after),
        approval: r.cleanup.approval,
      });
  const judge = (snapshot: Snapshot, times: SnapshotTimes, ctx: JudgeContext): Verdict => {
    for (const rule of candidates(snapshot.status)) {
      const matched = matches(rule, snapshot, times, ctx);
      if (matched === NO) continue;
      if (matched === UNKNOWN) return UNDETERMINED;
      return classification(rule, snapshot, times, ctx.now);
    }
    return undefined;
  };
  return {
    needsVolumes:
      coverage.length > 0 ||
      withRetention.some((r) => r.match.needsVolumes || r.exclusions.some((e) => e.needsVolumes)),
    retention,
    coverage,
    cleanup,
    judge,
    stillMatches(name, snapshot, times, ctx) {
      if (retention && retentionCompiled && name === retention.name) {
        const verdict = judge(snapshot, times, ctx);
        if (verdict === UNDETERMINED) return UNDETERMINED;
        // Another rule now flags it: that rule decides, not the ranking.
        if (verdict !== undefined) return false;
        return retention.ranks(snapshot, times, ctx);
      }
      const verdict = judge(snapshot, times, ctx);
      return verdict === UNDETERMINED ? UNDETERMINED : verdict?.rule === name;
    },
  };
}

/** Whether a rule matches: its conditions, the system-snapshot guard, then its exclusions. */
function matches(rule: CompiledRule, snapshot: Snapshot, times: SnapshotTimes, ctx: JudgeContext): Tri {
  const matched = test(rule.match, snapshot, times, ctx);
  if (matched !== YES) return matched;
  if (rule.guarded && isSystemSnapshot(snapshot)) {
    ctx.onProtected?.(rule.spec.name);
    return NO;
  }
  let excluded: Tri = NO;
  for (const e of rule.exclusions) {
    if (!e.status(snapshot.status)) continue;
    excluded = test(e, snapshot, times, ctx);
    if (excluded !== NO) break;
  }
  return excluded === UNKNOWN ? UNKNOWN : excluded === YES ? NO : YES;
}

function retentionRule(rule: CompiledRule): RetentionRule {
  const m = rule.spec.match;
  return {
    name: rule.spec.name,
    severity: rule.spec.severity,
    keep: {
      newest: m.keepNewestPerVolume ?? 0,
      daily: m.keepDailyPerVolume ?? 0,
      weekly: m.keepWeeklyPerVolume ?? 0,
      monthly: m.keepMonthlyPerVolume ?? 0,
    },
    ranks(snapshot, times, ctx) {
      // A snapshot without a volume or a readable creation time has no place in a ranking.
      if (typeof snapshot.volume_id !== 'string' || snapshot.volume_id === '' || !Number.isFinite(times.created))
        return false;
      if (!rule.match.status(snapshot.status)) return false;
      const answer = matches(rule, snapshot, times, ctx);
      return answer === UNKNOWN ? UNDETERMINED : answer === YES;
    },
  };
}

/** A policy ready to use: each project's rules are compiled on first use and kept. */
export function createPolicy(document: PolicyDocument): Policy {
  const projects = new Map<string, ProjectPolicy>();
  return {
    document,
    forProject(target, projectId) {
      const key = `${target}\u0000${projectId}`;
      let p = projects.get(key);
      if (!p) {
        p = compileProject(document, target, projectId);
        projects.set(key, p);
      }
      return p;
    },
  };
}

/** Judges one snapshot, reading its times (tests and one-off callers; the scan loop reads them once itself). */
export function judgeSnapshot(policy: ProjectPolicy, snapshot: Snapshot, now: number, volumes?: VolumeIndex): Verdict {
  return policy.judge(snapshot, readTimes(snapshot), { now, volumes });
}

/** The statuses the STUCK rules of a policy watch, each with its limit in minutes. */
export function stuckLimits(doc: PolicyDocument): Record<string, number> {
  const limits: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const rule of doc.rules) {
    if (rule.finding === 'STUCK' && typeof rule.match.status === 'string' && rule.match.age?.over)
      limits[rule.match.status] = durationMinutes(rule.match.age.over);
  }
  return limits;
}
