import type { Failure } from '../domain/failure';
import type { SnapshotLister } from '../evs/client';
import { DeadlineExceededError, describeFailure } from '../evs/errors';
import { paginateSnapshots } from '../evs/pager';
import { type CountMap, findingEvent, type OutboundEvent, type ScanContext, scanFailedEvent, summaryEvent } from '../events/contract';
import type { PublishStats } from '../events/publisher';
import { classifyWithTimes, readTimes } from './classify';
import type { ScanPolicy } from './policy';

/** Where events go: the EventBridge publisher, or the dry-run printer. */
export interface EventSink {
  add(event: OutboundEvent): Promise<void>;
  flush(): Promise<void>;
  readonly stats: PublishStats;
}

export interface ScanDeps {
  lister: SnapshotLister;
  /** One sink per project, so each project's delivery is accounted for separately. */
  createSink: (deadline: number) => EventSink;
  now?: () => number;
  onProgress?: (progress: { projectId: string; snapshotsRead: number; pagesRead: number }) => void;
  /** Told of errors that are bugs rather than upstream failures (reported as INTERNAL_ERROR). */
  onBug?: (error: unknown, projectId: string) => void;
}

export interface ScanSettings {
  scanId: string;
  projects: readonly string[];
  policy: ScanPolicy;
  region: string;
  source: string;
  /** Projects scanned at the same time. */
  concurrency: number;
  pageSize: number;
  maxPages: number;
  /** Epoch ms by which everything, publishing included, must be done. */
  deadline: number;
  /** Time kept back from listing to publish what was found and report what was not finished. */
  reserveMs: number;
}

export interface ProjectResult {
  projectId: string;
  complete: boolean;
  snapshotsRead: number;
  pagesRead: number;
  countsByStatus: CountMap;
  countsByFindingType: CountMap;
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

async function scanProject(deps: ScanDeps, settings: ScanSettings, projectId: string, now: () => number): Promise<ProjectResult> {
  const ctx: ScanContext = { source: settings.source, region: settings.region, scanId: settings.scanId, projectId };
  const sink = deps.createSink(settings.deadline);
  const listDeadline = settings.deadline - settings.reserveMs;
  const startedAt = now();
  const countsByStatus = countMap();
  const countsByFindingType = countMap();
  let snapshotsRead = 0;
  let pagesRead = 0;
  let unreadableTimestamps = 0;
  let failure: Failure | undefined;

  if (now() >= listDeadline) {
    failure = { code: 'DEADLINE_REACHED', message: 'The scan ran out of time before this project was started.' };
  } else {
    try {
      const pages = paginateSnapshots(deps.lister, projectId, {}, { pageSize: settings.pageSize, maxPages: settings.maxPages, deadline: listDeadline, prefetch: true });
      for await (const page of pages) {
        pagesRead++;
        const observedAt = now();
        const observed = new Date(observedAt);
        for (const snapshot of page.snapshots) {
          snapshotsRead++;
          increment(countsByStatus, snapshot.status);
          const times = readTimes(snapshot);
          if (Number.isNaN(times.created)) unreadableTimestamps++;
          const finding = classifyWithTimes(snapshot, times, settings.policy, observedAt);
          if (!finding) continue;
          increment(countsByFindingType, finding.type);
          await sink.add(findingEvent(ctx, snapshot, finding, observed));
        }
        deps.onProgress?.({ projectId, snapshotsRead, pagesRead });
        if (now() >= listDeadline) throw new DeadlineExceededError();
      }
    } catch (error) {
      failure = describeFailure(error);
      if (failure.code === 'INTERNAL_ERROR') deps.onBug?.(error, projectId);
      if (now() >= listDeadline && failure.code !== 'UPSTREAM_AUTH_FAILED') {
        failure = { code: 'DEADLINE_REACHED', message: 'The scan ran out of time before this project was finished.' };
      }
    }
  }

  // Findings are all delivered (or recorded as failed) before the summary goes out.
  await sink.flush();
  const finishedAt = now();
  await sink.add(
    summaryEvent(ctx, {
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      durationMs: finishedAt - startedAt,
      complete: failure === undefined,
      snapshotsRead,
      pagesRead,
      countsByStatus,
      countsByFindingType,
      unreadableTimestamps,
      ...(failure ? { failureCode: failure.code } : {}),
    }),
  );
  if (failure) {
    await sink.add(
      scanFailedEvent(ctx, {
        observedAt: new Date(finishedAt).toISOString(),
        failureCode: failure.code,
        message: failure.message,
        ...(failure.upstreamStatus !== undefined ? { upstreamStatus: failure.upstreamStatus } : {}),
        ...(failure.upstreamRequestId !== undefined ? { upstreamRequestId: failure.upstreamRequestId } : {}),
        snapshotsRead,
        pagesRead,
      }),
    );
  }
  await sink.flush();
  return { projectId, complete: failure === undefined, snapshotsRead, pagesRead, countsByStatus, countsByFindingType, failure, delivery: sink.stats };
}

/**
 * Scans every configured project a few at a time through the streaming pager, classifies
 * each snapshot, and sends findings, a summary per project and a failure event for each
 * project it could not finish. It never runs past `deadline`; memory holds one page per project.
 */
export async function runScan(deps: ScanDeps, settings: ScanSettings): Promise<ScanResult> {
  const now = deps.now ?? Date.now;
  const startedAt = new Date(now()).toISOString();
  const results: ProjectResult[] = new Array(settings.projects.length);
  let next = 0;
  const worker = async () => {
    while (next < settings.projects.length) {
      const index = next++;
      results[index] = await scanProject(deps, settings, settings.projects[index] as string, now);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(settings.concurrency, settings.projects.length)) }, worker));
  return {
    scanId: settings.scanId,
    startedAt,
    finishedAt: new Date(now()).toISOString(),
    projects: results,
    ok: results.every((r) => r.complete && r.delivery.failed.length === 0),
  };
}
