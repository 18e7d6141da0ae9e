import { scanFailedEvent } from '../events/contract';
import { projectOwnerOf } from '../targets/load';
import type { DiscoveryFailure, ScanRequest, TargetCatalog, WorkItem } from './plan';
import {
  type EventSink,
  type ProjectResult,
  runScan,
  type ScanDeps,
  type ScanResult,
  type ScanSettings,
  type ScanUnit,
  unscanned,
} from './run-scan';

/** A run's settings that do not change from run to run. */
export type RunSettings = Omit<ScanSettings, 'scanId' | 'units' | 'targetCaps' | 'deadline'>;

export interface ItemScanDeps {
  clientFor: TargetCatalog['clientFor'];
  scan: ScanDeps;
  settings: RunSettings;
  /** Told of every finished run before it is returned (the fleet report's parts are written here). */
  afterScan?: (result: ScanResult, deadline: number) => Promise<void>;
}

/** Scans these work items in this process, each through its target's client. */
export async function scanItems(
  deps: ItemScanDeps,
  items: readonly WorkItem[],
  caps: Record<string, number>,
  scanId: string,
  deadline: number,
): Promise<ScanResult> {
  const units: ScanUnit[] = [];
  for (const item of items) {
    const { target, client } = await deps.clientFor(item.target);
    const projectOwner = projectOwnerOf(target, item.projectId);
    units.push({ ...item, lister: client, ...(projectOwner !== undefined ? { projectOwner } : {}) });
  }
  const result = await runScan(deps.scan, { ...deps.settings, scanId, deadline, units, targetCaps: caps });
  await deps.afterScan?.(result, deadline);
  return result;
}

export interface DiscoveryFailureDeps {
  createSink: (deadline: number) => EventSink;
  /** The events' source. */
  source: string;
  now?: () => number;
}

/** Publishes a Scan Failed for each target whose projects could not be discovered; one unscanned result each. */
export async function reportDiscoveryFailures(
  deps: DiscoveryFailureDeps,
  failures: readonly DiscoveryFailure[],
  scanId: string,
  deadline: number,
): Promise<ProjectResult[]> {
  if (failures.length === 0) return [];
  const sink = deps.createSink(deadline);
  const observedAt = new Date((deps.now ?? Date.now)()).toISOString();
  for (const f of failures) {
    const ctx = { source: deps.source, region: f.region, target: f.target, scanId, projectId: f.projectId };
    await sink.add(
      scanFailedEvent(ctx, {
        observedAt,
        failureCode: f.failure.code,
        message: `Projects could not be discovered: ${f.failure.message}`,
        ...(f.failure.upstreamStatus !== undefined ? { upstreamStatus: f.failure.upstreamStatus } : {}),
        snapshotsRead: 0,
        pagesRead: 0,
      }),
    );
  }
  await sink.flush();
  return failures.map((f) => ({ ...unscanned(f, f.failure), delivery: sink.stats }));
}

/** One whole run in this process: plan (with discovery), scan the planned items, report what could not be discovered. */
export async function scanPlanned(
  deps: ItemScanDeps & { plan: TargetCatalog['plan']; discovery: DiscoveryFailureDeps },
  request: ScanRequest,
  scanId: string,
  deadline: number,
): Promise<ScanResult> {
  const plan = await deps.plan(request, deadline);
  const result = await scanItems(deps, plan.items, plan.caps, scanId, deadline);
  const failed = await reportDiscoveryFailures(deps.discovery, plan.failures, scanId, deadline);
  return failed.length === 0 ? result : { ...result, projects: [...result.projects, ...failed], ok: false };
}
