import { FAILURES, type Failure } from '../domain/failure';
import { type CountMap, type SummaryMoney, scanFailedEvent, summaryEvent } from '../events/contract';
import { monthlyCostByStatus, type PriceList, roundMoney } from '../pricing/prices';
import { describeFailure } from '../upstream/errors';
import type { HeldLease } from './lease';
import type { OpenedProject } from './open-project';
import { failureOf, type ProjectScan, stateDeadlineOf } from './project-scan';
import { columnOf, type ProjectStats } from './stats';
import type { FindingTracker } from './tracker';
import type { ProjectResult, ScanDeps, ScanUnit } from './types';

/** Every snapshot was read but the volumes were not: the scan is incomplete, so nothing is resolved. */
export function volumesUnavailable(volumeFailure: Failure | undefined): Failure | undefined {
  if (volumeFailure === undefined) return undefined;
  return {
    ...volumeFailure,
    code: 'VOLUMES_UNAVAILABLE',
    message: `${FAILURES.VOLUMES_UNAVAILABLE.message.replace(/\.$/, '')} (${volumeFailure.code}: ${volumeFailure.message})`,
  };
}

/** Announces the findings a complete scan no longer saw as resolved; returns why it could not, or undefined. */
export async function resolveUnseen(
  scan: ProjectScan,
  tracker: FindingTracker,
  lease: HeldLease | undefined,
): Promise<Failure | undefined> {
  try {
    lease?.check();
    for (const r of await tracker.resolutions(scan.now(), scan.listDeadline))
      await scan.sink.add(r.event, r.onDelivered);
    return undefined;
  } catch (error) {
    return failureOf(scan, error);
  }
}

/**
 * Ends a project's scan: findings delivered (or recorded as failed) before their state is written
 * and the summary goes out, then the summary, a Scan Failed when it did not finish, and the lease
 * given back.
 */
export async function reportProject(
  scan: ProjectScan,
  opened: OpenedProject,
  failureSoFar: Failure | undefined,
): Promise<ProjectResult> {
  const { deps, settings, unit, ctx, sink, tally } = scan;
  const { tracker, lease, skipped } = opened;
  let failure = failureSoFar;
  await sink.flush();
  if (tracker) {
    try {
      await tracker.flush();
      // A complete run that delivered and recorded everything it announced leaves nothing to re-send:
      // the next run may open findings under a new stamp.
      if (
        failure === undefined &&
        sink.stats.failed.length === 0 &&
        tracker.openingStamp !== undefined &&
        deps.state &&
        !deps.state.dryRun
      ) {
        await deps.state.store.settleOpenings(unit.projectId, tracker.openingStamp, stateDeadlineOf(settings));
      }
    } catch (error) {
      failure ??= describeFailure(error);
    }
  }
  const finishedAt = scan.now();
  const counts = tracker?.counts ?? { opened: 0, changed: 0, reminded: 0, resolved: 0, open: 0, suppressed: 0 };
  const projectStats = tally.stats.result();
  const countsByStatus = columnOf(projectStats.byStatus, 'count');
  const countsByFindingType = columnOf(projectStats.byFindingType, 'count');
  const reportUrl = await reportLinkOf(deps);
  await sink.add(
    summaryEvent(ctx, {
      startedAt: new Date(scan.startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      durationMs: Date.now() - scan.wallStart,
      complete: failure === undefined,
      snapshotsRead: tally.snapshotsRead,
      pagesRead: tally.pagesRead,
      countsByStatus,
      countsByFindingType,
      gbByStatus: columnOf(projectStats.byStatus, 'gb'),
      gbByFindingType: columnOf(projectStats.byFindingType, 'gb'),
      unreadableTimestamps: tally.unreadableTimestamps,
      malformedRows: tally.malformedRows,
      volumesRead: tally.volumesRead,
      undetermined: tally.undetermined,
      protectedSnapshots: tally.protectedSnapshots,
      unprotectedVolumes: tally.unprotectedVolumes,
      stateful: deps.state !== undefined,
      ...counts,
      skipped: skipped ? 1 : 0,
      ...(failure ? { failureCode: failure.code } : {}),
      ...(settings.prices ? { money: summaryMoney(settings.prices, unit, projectStats) } : {}),
      ...(reportUrl ? { reportUrl } : {}),
    }),
  );
  // Another run holding the lease is normal operation, not a failure to alert on.
  if (failure && !skipped) {
    await sink.add(
      scanFailedEvent(ctx, {
        observedAt: new Date(finishedAt).toISOString(),
        failureCode: failure.code,
        message: failure.message,
        ...(failure.upstreamStatus !== undefined ? { upstreamStatus: failure.upstreamStatus } : {}),
        ...(failure.upstreamRequestId !== undefined ? { upstreamRequestId: failure.upstreamRequestId } : {}),
        snapshotsRead: tally.snapshotsRead,
        pagesRead: tally.pagesRead,
      }),
    );
  }
  await sink.flush();
  if (tracker) await lease?.release(settings.deadline);
  return {
    target: unit.target,
    region: unit.region,
    projectId: unit.projectId,
    complete: failure === undefined,
    skipped,
    snapshotsRead: tally.snapshotsRead,
    malformedRows: tally.malformedRows,
    pagesRead: tally.pagesRead,
    countsByStatus,
    countsByFindingType,
    countsBySeverity: tally.countsBySeverity,
    stats: projectStats,
    byRule: tally.rules.byRule,
    scannedAt: new Date(finishedAt).toISOString(),
    transitions: counts,
    failure,
    delivery: sink.stats,
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
  return {
    currency: prices.currency,
    basis: 'size',
    perMonth: roundMoney(monthlyCostByStatus(prices, where, stats.byStatus)),
    flaggedPerMonth: roundMoney(flagged),
    flaggedPerMonthByFindingType: flaggedByFindingType,
  };
}

/** The report link, or none when it cannot be made (a summary goes out without it rather than not at all). */
async function reportLinkOf(deps: ScanDeps): Promise<string | undefined> {
  try {
    return await deps.reportLink?.();
  } catch {
    return undefined;
  }
}
