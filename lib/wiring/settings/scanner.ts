import { readConfigFile } from '../../config/config-file';
import { ConfigError, type Env, flag, integer, projectList, tableName, text } from '../../config/env';
import type { RetryOptions } from '../../core/retry';
import { DEFAULT_SOURCE } from '../../events/contract';
import {
  type DefaultPolicyTuning,
  defaultPolicy,
  type PolicyDocument,
  parsePolicy,
  tuneDefaultPolicy,
} from '../../policy/load';
import { createPolicy, type Policy, stuckLimits } from '../../policy/policy';
import { parseSecretRef } from '../../secrets/reader';
import { parseTargets, type TargetDefaults, type TargetsSource } from '../../targets/load';
import { loadReportBucket, loadReportExtras, type ReportExtras, type ReportSettings } from './report';
import { loadUpstreamLimits, loadUpstreamSettings } from './upstream';

/** Where the scan targets come from: read at start-up, or an SSM parameter read on first use. */
export type { TargetsSource } from '../../targets/load';

export interface ScanSettingsFromEnv extends ReportExtras {
  targets: TargetsSource;
  /** The snapshot policy: SCAN_POLICY_FILE, or the built-in one (tuned by the older threshold variables). */
  policy: Policy;
  eventSource: string;
  eventBusName: string;
  maxBatchBytes: number;
  publishRetry: RetryOptions;
  publishConcurrency: number;
  /** Longest a single PutEvents call may take before it is abandoned and its entries retried. */
  publishCallTimeoutMs: number;
  concurrency: number;
  pageSize: number;
  maxPages: number;
  /** Time kept back from listing before the deadline, to publish and report. */
  reserveMs: number;
  /** The findings table; undefined: stateless (every finding reported every run). */
  findingsTable: string | undefined;
  /** Re-announce an open finding this long after its last notification; 0 = never. */
  remindAfterMs: number;
  /** How long resolved findings stay in the table before its TTL removes them. */
  resolvedRetentionMs: number;
  /** How long a project's lease lasts unless its holder renews it (a dead holder blocks others this long at most). */
  leaseMs: number;
  /** Where each complete scan writes its project's part of the fleet report (REPORT_BUCKET); undefined: none. */
  report: ReportSettings | undefined;
}

/** STUCK_AFTER_MINUTES (`creating=30,backing-up=720`): limits of the built-in policy's STUCK rules. */
function stuckThresholds(env: Env, builtIn: PolicyDocument): Record<string, number> | undefined {
  const raw = text(env, 'STUCK_AFTER_MINUTES');
  if (raw === undefined) return undefined;
  const known = stuckLimits(builtIn);
  const thresholds: Record<string, number> = {};
  for (const pair of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [status, minutes] = pair.split('=').map((s) => s.trim());
    if (!status || !Object.hasOwn(known, status)) {
      throw new ConfigError(
        `STUCK_AFTER_MINUTES names "${status}", which is not one of ${Object.keys(known).join(', ')}`,
      );
    }
    if (!minutes || !/^\d+$/.test(minutes) || Number(minutes) < 1 || Number(minutes) > 525_600) {
      throw new ConfigError(
        `STUCK_AFTER_MINUTES gives ${status} "${minutes ?? ''}"; use status=minutes with minutes from 1 to 525600`,
      );
    }
    thresholds[status] = Number(minutes);
  }
  return thresholds;
}

const TUNING_VARIABLES = ['STALE_AFTER_DAYS', 'STUCK_AFTER_MINUTES', 'STALE_EXCLUDE_AUTOMATIC'] as const;

/**
 * The snapshot policy: the file SCAN_POLICY_FILE names (YAML or JSON, lib/policy/policy.schema.json),
 * or the built-in lib/policy/default-policy.json with STALE_AFTER_DAYS, STUCK_AFTER_MINUTES and
 * STALE_EXCLUDE_AUTOMATIC applied. A policy file says its thresholds itself: those variables
 * beside it are refused rather than silently ignored.
 */
export function loadPolicy(env: Env): Policy {
  const file = text(env, 'SCAN_POLICY_FILE');
  if (file !== undefined) {
    const tuned = TUNING_VARIABLES.find((name) => text(env, name) !== undefined);
    if (tuned)
      throw new ConfigError(
        `${tuned} and SCAN_POLICY_FILE are both set: with a policy file, its rules hold the thresholds`,
      );
    return createPolicy(parsePolicy(readConfigFile(file, 'SCAN_POLICY_FILE'), file));
  }
  const builtIn = defaultPolicy();
  const tuning: DefaultPolicyTuning = {
    ...(text(env, 'STALE_AFTER_DAYS') !== undefined
      ? { staleAfterDays: integer(env, 'STALE_AFTER_DAYS', 90, 1, 36_500) }
      : {}),
    ...(text(env, 'STALE_EXCLUDE_AUTOMATIC') !== undefined
      ? { staleExcludesAutomatic: flag(env, 'STALE_EXCLUDE_AUTOMATIC', true) }
      : {}),
  };
  const stuck = stuckThresholds(env, builtIn);
  if (stuck) tuning.stuckAfterMinutes = stuck;
  return createPolicy(tuneDefaultPolicy(builtIn, tuning));
}

/** What every target shares, from the environment. */
function targetDefaults(env: Env): TargetDefaults {
  return {
    ...loadUpstreamLimits(env),
    credentialsMaxAgeSeconds: integer(env, 'EVS_CREDENTIALS_MAX_AGE_SECONDS', 300, 0, 86_400),
    concurrency: integer(env, 'SCAN_TARGET_CONCURRENCY', 3, 1, 50),
  };
}

/**
 * The scan targets: a targets file (SCAN_TARGETS_FILE, bundled), an SSM parameter holding one
 * (SCAN_TARGETS_PARAMETER), or the single-endpoint variables as a target of one named
 * SCAN_TARGET_NAME (`default`).
 */
export function loadTargetsSource(env: Env): TargetsSource {
  const file = text(env, 'SCAN_TARGETS_FILE');
  const parameter = text(env, 'SCAN_TARGETS_PARAMETER');
  const defaults = targetDefaults(env);
  if (file !== undefined || parameter !== undefined) {
    for (const name of ['SCAN_PROJECT_IDS', 'EVS_ENDPOINT']) {
      if (text(env, name) !== undefined)
        throw new ConfigError(
          `${name} and ${file !== undefined ? 'SCAN_TARGETS_FILE' : 'SCAN_TARGETS_PARAMETER'} are both set: with a targets file, each target names its endpoint and projects`,
        );
    }
    if (file !== undefined && parameter !== undefined)
      throw new ConfigError('SCAN_TARGETS_FILE and SCAN_TARGETS_PARAMETER are both set: keep one');
    if (parameter !== undefined)
      return { kind: 'parameter', ref: parseSecretRef(parameter, 'SCAN_TARGETS_PARAMETER'), defaults };
    return {
      kind: 'static',
      targets: parseTargets(readConfigFile(file as string, 'SCAN_TARGETS_FILE'), file as string, defaults),
    };
  }
  let projects = projectList(env, 'SCAN_PROJECT_IDS', false) as string[];
  if (projects.length === 0) {
    const allowed = text(env, 'ALLOWED_PROJECT_IDS') === undefined ? [] : projectList(env, 'ALLOWED_PROJECT_IDS', true);
    if (allowed === '*' || allowed.length === 0) {
      throw new ConfigError(
        'SCAN_PROJECT_IDS is not set: list the project ids to scan (ALLOWED_PROJECT_IDS is used when it names projects rather than *), or give SCAN_TARGETS_FILE',
      );
    }
    projects = allowed;
  }
  const name = text(env, 'SCAN_TARGET_NAME') ?? 'default';
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name))
    throw new ConfigError(`SCAN_TARGET_NAME must be lower-case letters, digits and dashes, got "${name}"`);
  return {
    kind: 'static',
    targets: [
      { name, upstream: loadUpstreamSettings(env), projects, discover: undefined, concurrency: defaults.concurrency },
    ],
  };
}

/** Settings of the scanner, validated at start-up. */
export function loadScanSettings(env: Env = process.env): ScanSettingsFromEnv {
  const eventSource = text(env, 'EVENT_SOURCE') ?? DEFAULT_SOURCE;
  if (eventSource.startsWith('aws.'))
    throw new ConfigError(`EVENT_SOURCE must not start with "aws.", got "${eventSource}"`);
  return {
    targets: loadTargetsSource(env),
    policy: loadPolicy(env),
    eventSource,
    eventBusName: text(env, 'EVENT_BUS_NAME') ?? 'default',
    maxBatchBytes: integer(env, 'EVENT_MAX_BATCH_BYTES', 256 * 1024, 1_024, 1_048_576),
    publishRetry: {
      maxAttempts: integer(env, 'EVENT_MAX_ATTEMPTS', 5, 1, 20),
      baseDelayMs: integer(env, 'EVENT_RETRY_BASE_MS', 100, 1, 60_000),
      maxDelayMs: integer(env, 'EVENT_RETRY_MAX_MS', 3_000, 1, 60_000),
    },
    publishConcurrency: integer(env, 'EVENT_PUBLISH_CONCURRENCY', 4, 1, 32),
    publishCallTimeoutMs: integer(env, 'EVENT_CALL_TIMEOUT_MS', 5_000, 100, 60_000),
    concurrency: integer(env, 'SCAN_CONCURRENCY', 3, 1, 16),
    pageSize: integer(env, 'SCAN_PAGE_SIZE', 1000, 1, 1000),
    maxPages: integer(env, 'SCAN_MAX_PAGES', 10_000, 1, 1_000_000),
    reserveMs: integer(env, 'SCAN_RESERVE_MS', 5_000, 0, 600_000),
    findingsTable: tableName(env, 'FINDINGS_TABLE'),
    remindAfterMs: integer(env, 'REMIND_AFTER_HOURS', 24, 0, 8_760) * 3_600_000,
    resolvedRetentionMs: integer(env, 'RESOLVED_RETENTION_DAYS', 30, 1, 3_650) * 86_400_000,
    leaseMs: integer(env, 'SCAN_LEASE_SECONDS', 60, 3, 900) * 1000,
    report: loadReportBucket(env),
    ...loadReportExtras(env),
  };
}
