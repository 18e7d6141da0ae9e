import type { Failure } from '../domain/failure';
import type { SnapshotLister, VolumeLister } from '../upstream/client';
import { DeadlineExceededError, describeFailure } from '../upstream/errors';
import { paginateSnapshots, paginateVolumes } from '../upstream/pager';
import { FAILURES } from '../domain/failure';
import type { Classification } from '../domain/finding';
import { malformedSnapshot, type Snapshot } from '../domain/snapshot';
import { DEFAULT_OWNER_KEY, ownerOf, UNOWNED } from '../domain/owner';
import { type CountMap, type OutboundEvent, type ScanContext, scanFailedEvent, type SummaryMoney, summaryEvent } from '../events/contract';
import type { PublishStats } from '../events/publisher';
import { excessClassification, type Policy, UNDETERMINED, unprotectedClassification } from '../policy/policy';
import { monthlyCostByStatus, type PriceList, roundMoney } from '../pricing/prices';
import { VolumeCoverage } from '../coverage/volume-coverage';
import { RetentionLedger } from '../retention/ledger';
import { createRuleTally, type RuleTally } from './rule-tally';
import { columnOf, createStatsAccumulator, type ProjectStats } from './stats';
import type { FindingsStore } from '../state/store';
import type { LifecycleSettings } from '../state/lifecycle';
import type { FindingIndex } from '../state/records';
import { readTimes } from '../domain/times';
import { type FindingTracker, statefulTracker, statelessTracker, type TransitionCounts } from './tracker';
import { VolumeSet } from './volume-set';
import { type HeldLease, holdLease } from './lease';

/** Where events go: the EventBridge publisher, or the dry-run printer. */
export interface EventSink {
  add(event: OutboundEvent, onDelivered?: () => void): Promise<void>;
  flush(): Promise<void>;
  readonly stats: PublishStats;
}

/** One unit of work: a project of a target, with the client that reads that target. */
export interface ScanUnit {
  target: string;
  region: string;
  projectId: string;
  lister: SnapshotLister & VolumeLister;
  /** The owner the targets file gives the project, if any (a snapshot's metadata wins). */
  projectOwner?: string;
}

/** How many projects of each target may be scanned at once (targets not named: no cap of their own). */
export type TargetCaps = Readonly<Record<string, number>>;

export interface ScanDeps {
  /** A link to the latest fleet report that opens without credentials, for summaries (2.3); undefined: none. */
  reportLink?: () => Promise<string | undefined>;
  /** One sink per project, so each project's delivery is accounted for separately. */
  createSink: (deadline: number) => EventSink;
  now?: () => number;
  onProgress?: (progress: { projectId: string; snapshotsRead: number; pagesRead: number }) => void;
  /** Told of errors that are bugs rather than upstream failures (reported as INTERNAL_ERROR). */
  onBug?: (error: unknown, projectId: string) => void;
  /** The findings table; without it the scan is stateless and reports every finding as OBSERVED. */
  state?: StateDeps;
}

export interface ScanSettings {
  scanId: string;
  units: readonly ScanUnit[];
  policy: Policy;
  source: string;
  /** Projects scanned at the same time, over all targets. */
  concurrency: number;
  /** And per target, so one region's API is not flooded. */
  targetCaps?: TargetCaps;
  pageSize: number;
  maxPages: number;
  /** Epoch ms by which everything, publishing included, must be done. */
  deadline: number;
  /** Time kept back from listing to publish what was found and report what was not finished. */
  reserveMs: number;
  /** The metadata key that names a snapshot's owner (default `owner`). */
  ownerMetadataKey?: string;
  /** Prices, when configured: summaries then carry money (2.3). */
  prices?: PriceList;
}

export interface ProjectResult {
  target: string;
  region: string;
  projectId: string;
  complete: boolean;
  /** Another scan held the project's lease. */
  skipped: boolean;
  transitions: TransitionCounts;
  snapshotsRead: number;
  pagesRead: number;
  countsByStatus: CountMap;
  countsByFindingType: CountMap;
  /** Findings by type, then severity (a rule sets the severity). */
  countsBySeverity: Record<string, CountMap>;
  /** What the listing added up to: sizes, ages, the oldest and largest (the fleet report's row). */
  stats: ProjectStats;
  /** Rows the upstream listed that could not be judged (an absurd size, a field of the wrong type). */
  malformedRows: number;
  /** Per policy rule: what it flagged and the system snapshots it was kept from (the dry run's table). */
  byRule: RuleTally;
  /** When the listing ended (ISO), for the report. */
  scannedAt: string;
  /** With a report store: whether this project's part was written (complete scans only). */
  reportWritten?: boolean;
  failure?: Failure;
  delivery: PublishStats;
}

export interface ScanResult {
  scanId: string;
  startedAt: string;
  finishedAt: string;
  projects: ProjectResult[];
  /** Every project complete and every event delivered. */
  ok: boolean;
}

// Keys are upstream statuses: a status named `__proto__` or `constructor` must be just a key.
const countMap = (): CountMap => Object.create(null) as CountMap;
const increment = (map: CountMap, key: string) => {
  map[key] = (map[key] ?? 0) + 1;
};

/**
 * The project's volumes, for rules that ask whether a snapshot's volume still exists. Listed in
 * full before any snapshot is judged; a listing that fails gives undefined (the rules needing it
 * then decide nothing), never an empty set that would make every snapshot an orphan.
 */
async function listVolumes(unit: ScanUnit, settings: ScanSettings, deadline: number, coverage: VolumeCoverage | undefined): Promise<VolumeSet> {
  const volumes = new VolumeSet();
  for await (const page of paginateVolumes(unit.lister, unit.projectId, { pageSize: settings.pageSize, maxPages: settings.maxPages, deadline, detail: coverage !== undefined })) {
    for (const v of page.items) {
      const position = volumes.add(v.id);
      coverage?.addVolume(position, v);
    }
    if (Date.now() >= deadline) throw new DeadlineExceededError();
  }
  return volumes;
}

/** What a stateful scan needs: the table, and how the lifecycle behaves. */
export interface StateDeps {
  store: FindingsStore;
  lifecycle: LifecycleSettings;
  resolvedRetentionMs: number;
  /** Read the state, write none, take no lease. */
  dryRun: boolean;
  /** How long a project's lease lasts unless renewed (it is renewed every third of that). */
  leaseMs: number;
}

/**
 * When state writes must be done: half the reserve before the deadline, so a table that stops
 * answering still leaves time to publish the project's summary and Scan Failed.
 */
const stateDeadlineOf = (settings: ScanSettings) => settings.deadline - Math.floor(settings.reserveMs / 2);

/** Opens the project's tracker: the lease, then the table's index. `onLeased` runs as soon as the project is this run's. */
async function openTracker(deps: ScanDeps, settings: ScanSettings, ctx: ScanContext, listDeadline: number, startedAt: number, onLeased: (lease: HeldLease | undefined) => void): Promise<FindingTracker | 'skipped'> {
  const state = deps.state;
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
      state.store.beginOpenings(ctx.projectId, `${new Date(startedAt).toISOString()}/${ctx.scanId}`, listDeadline, state.dryRun),
    ]);
  } catch (error) {
    await lease?.release(listDeadline);
    throw error;
  }
  return statefulTracker({ ctx, store: state.store, index, lifecycle: state.lifecycle, resolvedRetentionMs: state.resolvedRetentionMs, deadline: stateDeadlineOf(settings), dryRun: state.dryRun, openingStamp });
}

async function scanProject(deps: ScanDeps, settings: ScanSettings, unit: ScanUnit, now: () => number): Promise<ProjectResult> {
  const { projectId } = unit;
  const ctx: ScanContext = { source: settings.source, region: unit.region, target: unit.target, scanId: settings.scanId, projectId };
  const sink = deps.createSink(settings.deadline);
  const listDeadline = settings.deadline - settings.reserveMs;
  // `now` is the scan's clock for what it observes (injected in tests); deadlines are wall-clock time.
  const startedAt = now();
  const wallStart = Date.now();
  const countsBySeverity = Object.create(null) as Record<string, CountMap>;
  const stats = createStatsAccumulator(startedAt, { ownerOf: ownerReader(settings.ownerMetadataKey, unit.projectOwner) });
  const projectPolicy = settings.policy.forProject(unit.target, projectId);
  let snapshotsRead = 0;
  let pagesRead = 0;
  let unreadableTimestamps = 0;
  let malformedRows = 0;
  let undetermined = 0;
  let volumesRead: number | null = null;
  let volumeFailure: Failure | undefined;
  let failure: Failure | undefined;
  let tracker: FindingTracker | undefined;
  let lease: HeldLease | undefined;
  let skipped = false;
  const fail = (error: unknown) => {
    failure = describeFailure(error);
    if (failure.code === 'INTERNAL_ERROR') deps.onBug?.(error, projectId);
  };

  // The volumes, when a rule needs them, are listed while the table's index loads (once the
  // project's lease is this run's), and before the snapshots: one upstream request in flight per
  // project, as the per-target cap counts. No snapshot is judged before the listing is done.
  let volumes: VolumeSet | undefined;
  let volumesListed: Promise<void> | undefined;
  // Volume coverage (UNPROTECTED_VOLUME) reads the same listing; the retention ranking keeps its own volume positions.
  let coverage: VolumeCoverage | undefined;
  const retention = projectPolicy.retention;
  const ledger = retention ? new RetentionLedger(retention.keep, startedAt, new VolumeSet()) : undefined;
  const tally = createRuleTally();
  let protectedSnapshots = 0;
  let unprotectedVolumes: number | null = null;
  const startVolumes = (held: HeldLease | undefined) => {
    lease = held;
    if (!projectPolicy.needsVolumes) return;
    const positions = { positionOf: (id: string) => volumes?.positionOf(id) ?? -1 };
    if (projectPolicy.coverage.length > 0) coverage = new VolumeCoverage(projectPolicy.coverage, positions);
    volumesListed = listVolumes(unit, settings, listDeadline, coverage).then(
      (set) => {
        volumes = set;
        volumesRead = set.size;
      },
      (error: unknown) => {
        // The other rules still run; the ones asking about volumes decide nothing (UNDETERMINED).
        coverage = undefined;
        volumeFailure = describeFailure(error);
        if (volumeFailure.code === 'INTERNAL_ERROR') deps.onBug?.(error, projectId);
      },
    );
  };

  if (Date.now() >= listDeadline) {
    failure = { code: 'DEADLINE_REACHED', message: 'The scan ran out of time before this project was started.' };
  } else {
    try {
      const opened = await openTracker(deps, settings, ctx, listDeadline, startedAt, startVolumes);
      if (opened === 'skipped') {
        skipped = true;
        failure = { code: 'SCAN_IN_PROGRESS', message: FAILURES.SCAN_IN_PROGRESS.message };
      } else {
        tracker = opened;
      }
    } catch (error) {
      // Without the table's view a scan cannot tell new from known: it says so instead of guessing.
      fail(error);
    }
  }

  // Settled either way (its handlers catch); waited for here even when the tracker failed.
  if (volumesListed) await volumesListed;

  if (tracker) {
    try {
      const pages = paginateSnapshots(unit.lister, projectId, {}, { pageSize: settings.pageSize, maxPages: settings.maxPages, deadline: listDeadline, prefetch: true });
      let kept = false;
      const onProtected = (rule: string) => {
        kept = true;
        tally.kept(rule);
      };
      for await (const page of pages) {
        pagesRead++;
        const observedAt = now();
        const ctx = { now: observedAt, volumes, onProtected };
        for (const snapshot of page.snapshots) {
          snapshotsRead++;
          if (malformedSnapshot(snapshot) !== undefined) {
            // Reported, not judged; a finding it already has stays as it is (neither announced nor resolved).
            malformedRows++;
            tracker.keep(snapshot.id);
            continue;
          }
          kept = false;
          const times = readTimes(snapshot);
          if (Number.isNaN(times.created)) unreadableTimestamps++;
          let verdict = projectPolicy.judge(snapshot, times, ctx);
          coverage?.snapshotSeen(snapshot.volume_id, snapshot.status, times.created);
          if (retention && ledger) {
            // Ranked after every other rule: a snapshot another rule flagged keeps that finding and its place.
            const ranked = retention.ranks(snapshot, times, ctx);
            if (ranked === true) {
              const rank = ledger.observe(snapshot, times.created, verdict !== undefined);
              if (rank > 0) verdict = excessClassification(retention, snapshot, times.created, rank, observedAt);
            } else if (ranked === UNDETERMINED && verdict === undefined) {
              verdict = UNDETERMINED;
            }
          }
          if (kept) protectedSnapshots++;
          if (verdict === UNDETERMINED) {
            // Said nothing of rather than something wrong; the scan is reported incomplete below.
            undetermined++;
            stats.add(snapshot, times, undefined);
            continue;
          }
          stats.add(snapshot, times, verdict);
          if (!verdict) continue;
          increment((countsBySeverity[verdict.type] ??= countMap()), verdict.severity);
          tally.flagged(verdict.rule, snapshot.size);
          const announcement = tracker.seen(snapshot, verdict, observedAt);
          if (announcement) await sink.add(announcement.event, announcement.onDelivered);
        }
        deps.onProgress?.({ projectId, snapshotsRead, pagesRead });
        if (Date.now() >= listDeadline) throw new DeadlineExceededError();
        lease?.check();
      }
    } catch (error) {
      fail(error);
      if (Date.now() >= listDeadline && failure?.code !== 'UPSTREAM_AUTH_FAILED' && failure?.code !== 'STATE_UNAVAILABLE') {
        failure = { code: 'DEADLINE_REACHED', message: 'The scan ran out of time before this project was finished.' };
      }
    }
    // Every snapshot was read but the volumes were not: incomplete, so nothing is resolved.
    if (failure === undefined && volumeFailure !== undefined) {
      const v: Failure = volumeFailure;
      failure = { ...v, code: 'VOLUMES_UNAVAILABLE', message: `${FAILURES.VOLUMES_UNAVAILABLE.message.replace(/\.$/, '')} (${v.code}: ${v.message})` };
    }
    // What needs the whole listing: the retention ranking of volumes listed out of order, and volumes with no recent snapshot.
    if (failure === undefined) {
      try {
        const decidedAt = now();
        const announce = async (verdict: Classification, size: number, a: { event: OutboundEvent; onDelivered: () => void } | undefined) => {
          increment((countsBySeverity[verdict.type] ??= countMap()), verdict.severity);
          // The report and the summary's by-type sums add up snapshots; volumes are counted in unprotectedVolumes.
          if (verdict.type !== 'UNPROTECTED_VOLUME') stats.addFinding(verdict.type, size);
          tally.flagged(verdict.rule, size);
          if (a) await sink.add(a.event, a.onDelivered);
        };
        if (retention && ledger) {
          // Volumes listed out of created_at order (rare: Cinder lists newest first) are listed again, each by itself, and ranked whole.
          const judged = { now: decidedAt, volumes };
          for (const volumeId of ledger.disorderedVolumeIds()) {
            const ranked: Array<{ snapshot: Snapshot; createdMs: number }> = [];
            for await (const page of paginateSnapshots(unit.lister, projectId, { volume_id: volumeId }, { pageSize: settings.pageSize, maxPages: settings.maxPages, deadline: listDeadline })) {
              for (const s of page.snapshots) {
                const times = readTimes(s);
                if (s.volume_id === volumeId && retention.ranks(s, times, judged) === true) ranked.push({ snapshot: s, createdMs: times.created });
              }
            }
            for (const late of ledger.decide(volumeId, ranked)) {
              const verdict = excessClassification(retention, late.snapshot, ranked.find((r) => r.snapshot === late.snapshot)?.createdMs ?? Number.NaN, late.rank, decidedAt);
              await announce(verdict, late.snapshot.size, tracker.seen(late.snapshot, verdict, decidedAt));
            }
          }
        }
        if (coverage) {
          unprotectedVolumes = 0;
          for (const u of coverage.unprotected(decidedAt)) {
            unprotectedVolumes++;
            const verdict = unprotectedClassification(u.rule, u.volume, u.newestMs, decidedAt);
            await announce(verdict, u.volume.size, tracker.seenVolume(u.volume, verdict, decidedAt));
          }
        }
      } catch (error) {
        fail(error);
      }
    }
    // Only a complete scan may say a finding went away; an incomplete one resolves nothing.
    if (failure === undefined) {
      try {
        lease?.check();
        for (const r of await tracker.resolutions(now(), listDeadline)) await sink.add(r.event, r.onDelivered);
      } catch (error) {
        fail(error);
      }
    }
  }

  // Findings are all delivered (or recorded as failed) before their state is written and the summary goes out.
  await sink.flush();
  if (tracker) {
    try {
      await tracker.flush();
      // A complete run that delivered and recorded everything it announced leaves nothing to re-send:
      // the next run may open findings under a new stamp.
      if (failure === undefined && sink.stats.failed.length === 0 && tracker.openingStamp !== undefined && deps.state && !deps.state.dryRun) {
        await deps.state.store.settleOpenings(projectId, tracker.openingStamp, stateDeadlineOf(settings));
      }
    } catch (error) {
      failure ??= describeFailure(error);
    }
  }
  const finishedAt = now();
  const counts = tracker?.counts ?? { opened: 0, changed: 0, reminded: 0, resolved: 0, open: 0, suppressed: 0 };
  const projectStats = stats.result();
  const countsByStatus = columnOf(projectStats.byStatus, 'count');
  const countsByFindingType = columnOf(projectStats.byFindingType, 'count');
  const reportUrl = await reportLinkOf(deps);
  await sink.add(
    summaryEvent(ctx, {
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      durationMs: Date.now() - wallStart,
      complete: failure === undefined,
      snapshotsRead,
      pagesRead,
      countsByStatus,
      countsByFindingType,
      gbByStatus: columnOf(projectStats.byStatus, 'gb'),
      gbByFindingType: columnOf(projectStats.byFindingType, 'gb'),
      unreadableTimestamps,
      malformedRows,
      volumesRead,
      undetermined,
      protectedSnapshots,
      unprotectedVolumes,
      stateful: deps.state !== undefined,
      ...counts,
      skipped: skipped ? 1 : 0,
      ...(failure ? { failureCode: (failure as Failure).code } : {}),
      ...(settings.prices ? { money: summaryMoney(settings.prices, unit, projectStats) } : {}),
      ...(reportUrl ? { reportUrl } : {}),
    }),
  );
  // Another run holding the lease is normal operation, not a failure to alert on.
  if (failure && !skipped) {
    const f = failure as Failure;
    await sink.add(
      scanFailedEvent(ctx, {
        observedAt: new Date(finishedAt).toISOString(),
        failureCode: f.code,
        message: f.message,
        ...(f.upstreamStatus !== undefined ? { upstreamStatus: f.upstreamStatus } : {}),
        ...(f.upstreamRequestId !== undefined ? { upstreamRequestId: f.upstreamRequestId } : {}),
        snapshotsRead,
        pagesRead,
      }),
    );
  }
  await sink.flush();
  if (tracker) await lease?.release(settings.deadline);
  const f = failure as Failure | undefined;
  return { target: unit.target, region: unit.region, projectId, complete: f === undefined, skipped, snapshotsRead, malformedRows, pagesRead, countsByStatus, countsByFindingType, countsBySeverity, stats: projectStats, byRule: tally.byRule, scannedAt: new Date(finishedAt).toISOString(), transitions: counts, failure: f, delivery: sink.stats };
}

/**
 * The owner of each snapshot of one project, on the scan's hot path: the project's owner is worked
 * out once, and a metadata value already seen is not cleaned again (a few owners, many snapshots).
 */
function ownerReader(metadataKey: string | undefined, projectOwner: string | undefined): (snapshot: Snapshot) => string {
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

/** What the project's snapshots cost per month at these prices (an upper bound: priced from `size`). */
function summaryMoney(prices: PriceList, unit: Pick<ScanUnit, 'target' | 'region'>, stats: ProjectStats): SummaryMoney {
  const where = { target: unit.target, region: unit.region };
  const flaggedByFindingType = Object.create(null) as CountMap;
  let flagged = 0;
  for (const [type, byStatus] of Object.entries(stats.byFindingTypeStatus ?? {})) {
    const cost = monthlyCostByStatus(prices, where, byStatus);
    flagged += cost;
    flaggedByFindingType[type] = roundMoney(cost);
  }
  return { currency: prices.currency, basis: 'size', perMonth: roundMoney(monthlyCostByStatus(prices, where, stats.byStatus)), flaggedPerMonth: roundMoney(flagged), flaggedPerMonthByFindingType: flaggedByFindingType };
}

/** The report link, or none when it cannot be made (a summary goes out without it rather than not at all). */
async function reportLinkOf(deps: ScanDeps): Promise<string | undefined> {
  try {
    return await deps.reportLink?.();
  } catch {
    return undefined;
  }
}

/** The result of a project that could not be scanned at all. */
export function unscanned(unit: Pick<ScanUnit, 'target' | 'region' | 'projectId'>, failure: Failure): ProjectResult {
  const none = { opened: 0, changed: 0, reminded: 0, resolved: 0, open: 0, suppressed: 0 };
  return { target: unit.target, region: unit.region, projectId: unit.projectId, complete: false, skipped: false, transitions: none, snapshotsRead: 0, malformedRows: 0, pagesRead: 0, countsByStatus: countMap(), countsByFindingType: countMap(), countsBySeverity: Object.create(null) as Record<string, CountMap>, stats: createStatsAccumulator(Date.now()).result(), byRule: Object.create(null) as RuleTally, scannedAt: new Date().toISOString(), failure, delivery: { calls: 0, published: 0, retriedEntries: 0, shrunk: 0, failed: [] } };
}

/**
 * Scans every unit a few at a time (at most `concurrency` overall and each target's cap) through
 * the streaming pager, classifies each snapshot, and sends findings, a summary per project and a
 * failure event for each project it could not finish. It never runs past `deadline`; memory
 * holds one page per project in flight.
 */
export async function runScan(deps: ScanDeps, settings: ScanSettings): Promise<ScanResult> {
  const now = deps.now ?? Date.now;
  const startedAt = new Date(now()).toISOString();
  const units = settings.units;
  const results: ProjectResult[] = new Array(units.length);
  const caps = settings.targetCaps ?? {};
  const running = new Map<string, number>();
  const waiting: number[] = units.map((_, i) => i);
  let slots = Math.max(1, settings.concurrency);
  await new Promise<void>((resolve) => {
    let active = 0;
    const pump = () => {
      // Start whatever the overall and per-target caps allow, in order, skipping capped targets.
      for (let i = 0; i < waiting.length && slots > 0; ) {
        const index = waiting[i] as number;
        const unit = units[index] as ScanUnit;
        if ((running.get(unit.target) ?? 0) >= (caps[unit.target] ?? Number.POSITIVE_INFINITY)) {
          i++;
          continue;
        }
        waiting.splice(i, 1);
        slots--;
        active++;
        running.set(unit.target, (running.get(unit.target) ?? 0) + 1);
        const settle = (result: ProjectResult) => {
          results[index] = result;
          slots++;
          active--;
          running.set(unit.target, (running.get(unit.target) ?? 1) - 1);
          pump();
        };
        scanProject(deps, settings, unit, now).then(settle, (error: unknown) => {
          // Only the sink itself failing gets here; the project is reported as not scanned.
          deps.onBug?.(error, unit.projectId);
          settle(unscanned(unit, describeFailure(error)));
        });
      }
      if (active === 0 && waiting.length === 0) resolve();
    };
    pump();
  });
  return {
    scanId: settings.scanId,
    startedAt,
    finishedAt: new Date(now()).toISOString(),
    projects: results,
    // A project left alone because another run held it was not scanned by this run: not ok.
    ok: results.every((r) => r.complete && r.delivery.failed.length === 0),
  };
}
