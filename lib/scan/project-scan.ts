import type { Failure } from '../domain/failure';
import type { Classification } from '../domain/finding';
import { DEFAULT_OWNER_KEY, ownerOf, UNOWNED } from '../domain/owner';
import type { Snapshot } from '../domain/snapshot';
import type { CountMap, ScanContext } from '../events/contract';
import type { ProjectPolicy } from '../policy/policy';
import { describeFailure } from '../upstream/errors';
import { createRuleTally } from './rule-tally';
import { createStatsAccumulator } from './stats';
import type { EventSink, ScanDeps, ScanSettings, ScanUnit } from './types';

/** What one project's scan counts as it goes: one object per project, never one per snapshot. */
export interface ProjectTally {
  snapshotsRead: number;
  pagesRead: number;
  unreadableTimestamps: number;
  /** Rows that could not be judged (see `malformedSnapshot`). */
  malformedRows: number;
  /** Snapshots no rule could decide (their volumes unknown). */
  undetermined: number;
  /** Snapshots a rule was kept from because the cloud made them for its backups. */
  protectedSnapshots: number;
  /** Volumes listed, when a rule needed them; null when they were not (or could not be) listed. */
  volumesRead: number | null;
  /** Volumes with no recent snapshot, when a coverage rule ran to its end; null otherwise. */
  unprotectedVolumes: number | null;
  /** Findings by type, then severity. */
  readonly countsBySeverity: Record<string, CountMap>;
  readonly stats: ReturnType<typeof createStatsAccumulator>;
  readonly rules: ReturnType<typeof createRuleTally>;
}

/** One project's scan: what every phase (open, judge, resolve, report) reads, and the tally they add to. */
export interface ProjectScan {
  readonly deps: ScanDeps;
  readonly settings: ScanSettings;
  readonly unit: ScanUnit;
  readonly ctx: ScanContext;
  readonly sink: EventSink;
  /** The scan's clock for what it observes (injected in tests); deadlines are wall-clock time. */
  readonly now: () => number;
  /** When listing must stop: the deadline less the reserve kept to publish and report. */
  readonly listDeadline: number;
  readonly startedAt: number;
  /** Date.now() at the start, for the summary's duration. */
  readonly wallStart: number;
  readonly policy: ProjectPolicy;
  readonly tally: ProjectTally;
}

// Keys are upstream statuses: a status named `__proto__` or `constructor` must be just a key.
export const countMap = (): CountMap => Object.create(null) as CountMap;

/** Starts one project's scan: its context, its own sink, its clocks, its policy and an empty tally. */
export function beginProject(deps: ScanDeps, settings: ScanSettings, unit: ScanUnit, now: () => number): ProjectScan {
  const { projectId } = unit;
  const ctx: ScanContext = {
    source: settings.source,
    region: unit.region,
    target: unit.target,
    scanId: settings.scanId,
    projectId,
  };
  const sink = deps.createSink(settings.deadline);
  const listDeadline = settings.deadline - settings.reserveMs;
  const startedAt = now();
  const wallStart = Date.now();
  const tally: ProjectTally = {
    snapshotsRead: 0,
    pagesRead: 0,
    unreadableTimestamps: 0,
    malformedRows: 0,
    undetermined: 0,
    protectedSnapshots: 0,
    volumesRead: null,
    unprotectedVolumes: null,
    countsBySeverity: Object.create(null) as Record<string, CountMap>,
    stats: createStatsAccumulator(startedAt, { ownerOf: ownerReader(settings.ownerMetadataKey, unit.projectOwner) }),
    rules: createRuleTally(),
  };
  return {
    deps,
    settings,
    unit,
    ctx,
    sink,
    now,
    listDeadline,
    startedAt,
    wallStart,
    policy: settings.policy.forProject(unit.target, projectId),
    tally,
  };
}

/** Counts a finding by type and severity. */
export function countFinding(tally: ProjectTally, verdict: Classification): void {
  const bySeverity = (tally.countsBySeverity[verdict.type] ??= countMap());
  bySeverity[verdict.severity] = (bySeverity[verdict.severity] ?? 0) + 1;
}

/** The failure an error makes; one that is a bug rather than an upstream failure is told to `onBug` too. */
export function failureOf(scan: ProjectScan, error: unknown): Failure {
  const failure = describeFailure(error);
  if (failure.code === 'INTERNAL_ERROR') scan.deps.onBug?.(error, scan.unit.projectId);
  return failure;
}

/**
 * When state writes must be done: half the reserve before the deadline, so a table that stops
 * answering still leaves time to publish the project's summary and Scan Failed.
 */
export const stateDeadlineOf = (settings: ScanSettings) => settings.deadline - Math.floor(settings.reserveMs / 2);

/**
 * The owner of each snapshot of one project, on the scan's hot path: the project's owner is worked
 * out once, and a metadata value already seen is not cleaned again (a few owners, many snapshots).
 */
function ownerReader(
  metadataKey: string | undefined,
  projectOwner: string | undefined,
): (snapshot: Snapshot) => string {
  const key = metadataKey ?? DEFAULT_OWNER_KEY;
  const fallback = ownerOf(undefined, { projectOwner }) ?? UNOWNED;
  const seen = new Map<string, string>();
  return (snapshot) => {
    const raw = snapshot.metadata?.[key];
    if (typeof raw !== 'string') return fallback;
    let owner = seen.get(raw);
    if (owner === undefined) {
      owner = ownerOf({ [key]: raw }, { metadataKey: key }) ?? fallback;
      // Bounded: metadata is cloud input, and a project may hold a different value per snapshot.
      if (seen.size < 1_000) seen.set(raw, owner);
    }
    return owner;
  };
}
