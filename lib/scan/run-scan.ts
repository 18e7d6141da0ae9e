import { runCapped } from '../core/scheduler';
import type { Failure } from '../domain/failure';
import type { CountMap } from '../events/contract';
import { describeFailure } from '../upstream/errors';
import { reportProject, resolveUnseen, volumesUnavailable } from './finish-project';
import { judgeListing, rankingOf } from './judge-listing';
import { judgeWholeListing } from './judge-whole';
import { openProject } from './open-project';
import { beginProject, countMap } from './project-scan';
import type { RuleTally } from './rule-tally';
import { createStatsAccumulator } from './stats';
import type { ProjectResult, ScanDeps, ScanResult, ScanSettings, ScanUnit } from './types';

export type {
  EventSink,
  ProjectResult,
  ScanDeps,
  ScanResult,
  ScanSettings,
  ScanUnit,
  StateDeps,
  TargetCaps,
} from './types';

/**
 * Scans one project, phase by phase: open (lease, index, volumes), judge the listing as it comes,
 * judge what needs the whole listing, resolve what a complete scan no longer saw, report. A phase
 * runs only while every earlier one succeeded; the report always runs.
 */
async function scanProject(
  deps: ScanDeps,
  settings: ScanSettings,
  unit: ScanUnit,
  now: () => number,
): Promise<ProjectResult> {
  const scan = beginProject(deps, settings, unit, now);
  const ranking = rankingOf(scan.policy, scan.startedAt);
  const opened = await openProject(scan);
  const { tracker } = opened;
  let failure = opened.failure;
  if (tracker) {
    failure =
      (await judgeListing(scan, tracker, opened.lease, opened.volumes, ranking)) ??
      volumesUnavailable(opened.volumes.failure);
    if (failure === undefined) failure = await judgeWholeListing(scan, tracker, opened.volumes, ranking);
    // Only a complete scan may say a finding went away; an incomplete one resolves nothing.
    if (failure === undefined) failure = await resolveUnseen(scan, tracker, opened.lease);
  }
  return reportProject(scan, opened, failure);
}

/** The result of a project that could not be scanned at all. */
export function unscanned(unit: Pick<ScanUnit, 'target' | 'region' | 'projectId'>, failure: Failure): ProjectResult {
  const none = { opened: 0, changed: 0, reminded: 0, resolved: 0, open: 0, suppressed: 0 };
  return {
    target: unit.target,
    region: unit.region,
    projectId: unit.projectId,
    complete: false,
    skipped: false,
    transitions: none,
    snapshotsRead: 0,
    malformedRows: 0,
    pagesRead: 0,
    countsByStatus: countMap(),
    countsByFindingType: countMap(),
    countsBySeverity: Object.create(null) as Record<string, CountMap>,
    stats: createStatsAccumulator(Date.now()).result(),
    byRule: Object.create(null) as RuleTally,
    scannedAt: new Date().toISOString(),
    failure,
    delivery: { calls: 0, published: 0, retriedEntries: 0, shrunk: 0, failed: [] },
  };
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
  const results = await runCapped(
    settings.units,
    { concurrency: settings.concurrency, groupOf: (unit) => unit.target, caps: settings.targetCaps },
    (unit) =>
      scanProject(deps, settings, unit, now).catch((error: unknown) => {
        // Only the sink itself failing gets here; the project is reported as not scanned.
        deps.onBug?.(error, unit.projectId);
        return unscanned(unit, describeFailure(error));
      }),
  );
  return {
    scanId: settings.scanId,
    startedAt,
    finishedAt: new Date(now()).toISOString(),
    projects: results,
    // A project left alone because another run held it was not scanned by this run: not ok.
    ok: results.every((r) => r.complete && r.delivery.failed.length === 0),
  };
}
