import type { FindingType, Severity } from '../domain/finding';

export type StatusSpec = string | string[] | { notIn: string[] };
export type NameSpec = string | string[] | { pattern: string };
export type MetadataSpec = string | { present: boolean } | { pattern: string };

/** Conditions a snapshot must all meet (policy.schema.json#/definitions/match). */
export interface MatchSpec {
  status?: StatusSpec;
  age?: { from: 'created_at' | 'updated_at'; over?: string; under?: string };
  size?: { over?: number; under?: number };
  name?: NameSpec;
  volume?: { exists?: boolean; ids?: string[] };
  metadata?: Record<string, MetadataSpec>;
  /** EXCESS_RETENTION rules (lib/policy/rule-kinds.ts). */
  keepNewestPerVolume?: number;
  keepDailyPerVolume?: number;
  keepWeeklyPerVolume?: number;
  keepMonthlyPerVolume?: number;
  /** UNPROTECTED_VOLUME rules. */
  volumeStatus?: StatusSpec;
  noSnapshotWithin?: string;
}

/** A rule's opt-in deletion (docs/cleanup.md): the grace period after the mark, and whether someone must approve. */
export interface CleanupSpec {
  after: string;
  approval: 'required' | 'none';
}

export interface RuleSpec {
  name: string;
  finding: FindingType;
  severity: Severity;
  description?: string;
  enabled?: boolean;
  match: MatchSpec;
  cleanup?: CleanupSpec;
}

export interface ExclusionSpec {
  name: string;
  description?: string;
  rules?: string[];
  match: MatchSpec;
}

export interface RulePatch {
  enabled?: boolean;
  severity?: Severity;
  match?: MatchSpec;
}

export interface OverrideSpec {
  name: string;
  description?: string;
  targets?: string[];
  projects?: string[];
  rules?: Record<string, RulePatch>;
  exclude?: ExclusionSpec[];
}

/** A policy file as written, checked against policy.schema.json and the rules below. */
export interface PolicyDocument {
  version: 1;
  description?: string;
  rules: RuleSpec[];
  exclude?: ExclusionSpec[];
  overrides?: OverrideSpec[];
}
