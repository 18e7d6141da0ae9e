import { VolumeCoverage } from '../coverage/volume-coverage';
import { FAILURES, type Failure } from '../domain/failure';
import type { FindingIndex } from '../state/records';
import { DeadlineExceededError } from '../upstream/errors';
import { paginateVolumes } from '../upstream/pager';
import { type HeldLease, holdLease } from './lease';
import { failureOf, type ProjectScan, stateDeadlineOf } from './project-scan';
import { type FindingTracker, statefulTracker, statelessTracker } from './tracker';
import type { ScanSettings, ScanUnit } from './types';
import { VolumeSet } from './volume-set';

/** The project's volumes, when a rule needs them; a listing that failed leaves only its failure. */
export interface VolumeListing {
  volumes?: VolumeSet;
  /** Volume coverage (UNPROTECTED_VOLUME), fed by the same listing; the retention ranking keeps its own volume positions. */
  coverage?: VolumeCoverage;
  failure?: Failure;
}

/** What opening a project leaves: a tracker when the project is this run's to judge, else why not. */
export interface OpenedProject {
  tracker?: FindingTracker;
  lease?: HeldLease;
  /** Another scan held the project's lease. */
  skipped: boolean;
  failure?: Failure;
  volumes: VolumeListing;
}

/**
 * Opens a project: its lease, the table's index of its findings and, when a rule needs them, its
 * volumes. The volumes are listed while the index loads (once the lease is this run's) and before
 * the snapshots: one upstream request in flight per project, as the per-target cap counts. No
 * snapshot is judged before the listing is done, so it is waited for here, even when the tracker
 * could not be opened.
 */
export async function openProject(scan: ProjectScan): Promise<OpenedProject> {
  let lease: HeldLease | undefined;
  let listing: Promise<VolumeListing> | undefined;
  const onLeased = (held: HeldLease | undefined) => {
    lease = held;
    listing = startVolumes(scan);
  };
  let tracker: FindingTracker | undefined;
  let skipped = false;
  let failure: Failure | undefined;
  if (Date.now() >= scan.listDeadline) {
    failure = { code: 'DEADLINE_REACHED', message: 'The scan ran out of time before this project was started.' };
  } else {
    try {
      const opened = await openTracker(scan, onLeased);
      if (opened === 'skipped') {
        skipped = true;
        failure = { code: 'SCAN_IN_PROGRESS', message: FAILURES.SCAN_IN_PROGRESS.message };
      } else {
        tracker = opened;
      }
    } catch (error) {
      // Without the table's view a scan cannot tell new from known: it says so instead of guessing.
      failure = failureOf(scan, error);
    }
  }
  // Settled either way (its handlers catch).
  const volumes = listing ? await listing : {};
  return { tracker, lease, skipped, failure, volumes };
}

/** Opens the project's tracker: the lease, then the table's index. `onLeased` runs as soon as the project is this run's. */
async function openTracker(
  scan: ProjectScan,
  onLeased: (lease: HeldLease | undefined) => void,
): Promise<FindingTracker | 'skipped'> {
  const { ctx, listDeadline } = scan;
  const state = scan.deps.state;
  if (!state) {
    onLeased(undefined);
    return statelessTracker(ctx);
  }
  // Before the lease: a table keyed otherwise would take the lease and then fail to give it back.
  await state.store.verifyTable(listDeadline);
  let lease: HeldLease | undefined;
  if (!state.dryRun) {
    // Short and renewed while this run works: a run that dies blocks the next one for one lease at most.
    lease = await holdLease(state.store, ctx.projectId, ctx.scanId, state.leaseMs, listDeadline);
    if (!lease) return 'skipped';
  }
  onLeased(lease);
  let index: FindingIndex;
  let openingStamp: string;
  try {
    [index, openingStamp] = await Promise.all([
      state.store.loadIndex(ctx.projectId, listDeadline),
      state.store.beginOpenings(
        ctx.projectId,
        `${new Date(scan.startedAt).toISOString()}/${ctx.scanId}`,
        listDeadline,
        state.dryRun,
      ),
    ]);
  } catch (error) {
    await lease?.release(listDeadline);
    throw error;
  }
  return statefulTracker({
    ctx,
    store: state.store,
    index,
    lifecycle: state.lifecycle,
    resolvedRetentionMs: state.resolvedRetentionMs,
    deadline: stateDeadlineOf(scan.settings),
    dryRun: state.dryRun,
    openingStamp,
  });
}

/** Starts listing the volumes when a rule needs them. A listing that fails is a failure, never an empty set that would make every snapshot an orphan. */
function startVolumes(scan: ProjectScan): Promise<VolumeListing> | undefined {
  const { policy } = scan;
  if (!policy.needsVolumes) return undefined;
  let volumes: VolumeSet | undefined;
  const positions = { positionOf: (id: string) => volumes?.positionOf(id) ?? -1 };
  const coverage = policy.coverage.length > 0 ? new VolumeCoverage(policy.coverage, positions) : undefined;
  return listVolumes(scan.unit, scan.settings, scan.listDeadline, coverage).then(
    (set): VolumeListing => {
      volumes = set;
      scan.tally.volumesRead = set.size;
      return { volumes: set, coverage };
    },
    // The other rules still run; the ones asking about volumes decide nothing (UNDETERMINED).
    (error: unknown): VolumeListing => ({ failure: failureOf(scan, error) }),
  );
}

/**
 * The project's volumes, for rules that ask whether a snapshot's volume still exists. Listed in
 * full before any snapshot is judged.
 */
async function listVolumes(
  unit: ScanUnit,
  settings: ScanSettings,
  deadline: number,
  coverage: VolumeCoverage | undefined,
): Promise<VolumeSet> {
  const volumes = new VolumeSet();
  for await (const page of paginateVolumes(unit.lister, unit.projectId, {
    pageSize: settings.pageSize,
    maxPages: settings.maxPages,
    deadline,
    detail: coverage !== undefined,
  })) {
    for (const v of page.items) {
      const position = volumes.add(v.id);
      coverage?.addVolume(position, v);
    }
    if (Date.now() >= deadline) throw new DeadlineExceededError();
  }
  return volumes;
}
