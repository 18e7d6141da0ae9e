import { randomUUID } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventPublisher, type EventBridgeSender } from '../events/publisher';
import type { SecretFetch } from '../secrets/reader';
import type { ScanSettingsFromEnv } from './settings/scanner';
import { createFindingsStore } from '../state/dynamo/findings-table';
import type { FindingsStore } from '../state/store';
import { scanFailedEvent } from '../events/contract';
import { projectReportOf } from '../report/fleet';
import { createReportLink } from '../report/link';
import { lazyS3ReportStore } from '../report/lazy-s3-store';
import type { ReportStore } from '../report/store';
import { projectOwnerOf } from '../targets/load';
import { createTargetCatalog, type DiscoveryFailure, type ScanRequest, type TargetCatalog, type WorkItem } from '../scan/plan';
import { type EventSink, type ProjectResult, runScan, type ScanDeps, type ScanResult, type ScanUnit, unscanned } from '../scan/run-scan';

export interface ScannerOverrides {
  /** Defaults to a real EventBridgeClient (endpoint from AWS_ENDPOINT_URL_EVENTBRIDGE when set). */
  eventBridge?: EventBridgeSender;
  /** Replaces EventBridge entirely, e.g. the dry-run printer. */
  createSink?: (deadline: number) => EventSink;
  /** Used for IAM token requests (EVS_AUTH=token with password settings). */
  fetch?: typeof fetch;
  /** Reads EVS_CREDENTIALS_SECRET (tests: a local Secrets Manager). */
  fetchSecret?: SecretFetch;
  now?: () => number;
  onProgress?: ScanDeps['onProgress'];
  onBug?: ScanDeps['onBug'];
  /** Replaces the DynamoDB findings store (tests). */
  store?: FindingsStore;
  /** Read the findings table but write nothing (npm run scan -- --dry-run). */
  dryRun?: boolean;
  /** The targets and their clients, when the caller already has them. */
  catalog?: TargetCatalog;
  /** Where complete scans write their part of the fleet report; default: REPORT_BUCKET's, none in a dry run. */
  reports?: ReportStore;
  /** Makes the report link summaries carry; default: presigned from REPORT_BUCKET's, none in a dry run. */
  reportLink?: () => Promise<string | undefined>;
  /** Told when a project's report part could not be written (the scan itself stands). */
  onReportError?: (error: unknown, project: ProjectResult) => void;
}

/** The production EventBridge client: no SDK retries (the publisher owns them) and bounded sockets. */
export function createEventBridgeClient(callTimeoutMs: number): EventBridgeClient {
  return new EventBridgeClient({ maxAttempts: 1, requestHandler: { requestTimeout: callTimeoutMs, connectionTimeout: Math.min(callTimeoutMs, 3_000) } });
}

export type Scanner = (deadline: number, request?: ScanRequest) => Promise<ScanResult>;

/** What a scanner is built from, shared by the one-invocation scanner and the fan-out worker. */
export function buildScanParts(settings: ScanSettingsFromEnv, overrides: ScannerOverrides = {}) {
  const catalog = overrides.catalog ?? createTargetCatalog(settings.targets, { fetch: overrides.fetch, fetchSecret: overrides.fetchSecret, fetchParameter: overrides.fetchSecret });
  let eventBridge = overrides.eventBridge;
  const createSink =
    overrides.createSink ??
    ((deadline: number) => {
      eventBridge ??= createEventBridgeClient(settings.publishCallTimeoutMs);
      return createEventPublisher({
        client: eventBridge,
        busName: settings.eventBusName,
        maxBatchBytes: settings.maxBatchBytes,
        retry: settings.publishRetry,
        maxInFlight: settings.publishConcurrency,
        callTimeoutMs: settings.publishCallTimeoutMs,
        deadline,
      });
    });
  const store = overrides.store ?? (settings.findingsTable ? createFindingsStore({ tableName: settings.findingsTable }) : undefined);
  const state = store ? { store, lifecycle: { remindAfterMs: settings.remindAfterMs }, resolvedRetentionMs: settings.resolvedRetentionMs, dryRun: overrides.dryRun ?? false, leaseMs: settings.leaseMs } : undefined;
  // Summaries link the latest report when there is a bucket it lives in (not in a dry run).
  const reportLink = overrides.reportLink ?? (settings.report && !overrides.dryRun ? createReportLink({ ...settings.report, linkExpiresSeconds: settings.linkExpiresSeconds }) : undefined);
  const deps: ScanDeps = { createSink, now: overrides.now, onProgress: overrides.onProgress, onBug: overrides.onBug, state, reportLink };
  // A dry run writes nothing, report parts included.
  const reports = overrides.reports ?? (settings.report && !overrides.dryRun ? lazyS3ReportStore(settings.report) : undefined);
  const scanSettings = (scanId: string, deadline: number) => ({
    scanId,
    policy: settings.policy,
    source: settings.eventSource,
    concurrency: settings.concurrency,
    pageSize: settings.pageSize,
    maxPages: settings.maxPages,
    deadline,
    reserveMs: settings.reserveMs,
    ownerMetadataKey: settings.ownerMetadataKey,
    prices: settings.prices,
  });

  /** Scans these work items in this process, each through its target's client. */
  async function scanItems(items: readonly WorkItem[], caps: Record<string, number>, scanId: string, deadline: number): Promise<ScanResult> {
    const units: ScanUnit[] = [];
    for (const item of items) {
      const { target, client } = await catalog.clientFor(item.target);
      const projectOwner = projectOwnerOf(target, item.projectId);
      units.push({ ...item, lister: client, ...(projectOwner !== undefined ? { projectOwner } : {}) });
    }
    const result = await runScan(deps, { ...scanSettings(scanId, deadline), units, targetCaps: caps });
    if (reports) await writeReportParts(reports, result, deadline);
    return result;
  }

  /** Each complete project's part of the fleet report; a failed write is said, not thrown (the scan stands). */
  async function writeReportParts(store: ReportStore, result: ScanResult, deadline: number): Promise<void> {
    await Promise.all(
      result.projects.map(async (project) => {
        const part = projectReportOf(project, result.scanId);
        if (!part) return;
        try {
          await store.putPart(part, deadline);
          project.reportWritten = true;
        } catch (error) {
          project.reportWritten = false;
          overrides.onReportError?.(error, project);
        }
      }),
    );
  }

  /** Publishes a Scan Failed for each target whose projects could not be discovered. */
  async function reportDiscoveryFailures(failures: readonly DiscoveryFailure[], scanId: string, deadline: number): Promise<ProjectResult[]> {
    if (failures.length === 0) return [];
    const sink = createSink(deadline);
    const observedAt = new Date((overrides.now ?? Date.now)()).toISOString();
    for (const f of failures) {
      const ctx = { source: settings.eventSource, region: f.region, target: f.target, scanId, projectId: f.projectId };
      await sink.add(scanFailedEvent(ctx, { observedAt, failureCode: f.failure.code, message: `Projects could not be discovered: ${f.failure.message}`, ...(f.failure.upstreamStatus !== undefined ? { upstreamStatus: f.failure.upstreamStatus } : {}), snapshotsRead: 0, pagesRead: 0 }));
    }
    await sink.flush();
    return failures.map((f) => ({ ...unscanned(f, f.failure), delivery: sink.stats }));
  }

  return { catalog, deps, scanItems, reportDiscoveryFailures };
}

/** Wires a scanner from settings once; call the result for each run. */
export function buildScanner(settings: ScanSettingsFromEnv, overrides: ScannerOverrides = {}): Scanner {
  const parts = buildScanParts(settings, overrides);
  return async (deadline, request = {}) => {
    const scanId = request.scanId ?? randomUUID();
    const plan = await parts.catalog.plan(request, deadline);
    const result = await parts.scanItems(plan.items, plan.caps, scanId, deadline);
    const failed = await parts.reportDiscoveryFailures(plan.failures, scanId, deadline);
    return failed.length === 0 ? result : { ...result, projects: [...result.projects, ...failed], ok: false };
  };
}

/** The run's outcome as one log line or return value: counts, not events. */
export function summariseResult(result: ScanResult) {
  return {
    scanId: result.scanId,
    ok: result.ok,
    projects: result.projects.map((p) => ({
      target: p.target,
      region: p.region,
      projectId: p.projectId,
      complete: p.complete,
      snapshotsRead: p.snapshotsRead,
      pagesRead: p.pagesRead,
      findings: p.countsByFindingType,
      ...(p.skipped ? { skipped: true } : {}),
      ...(p.malformedRows > 0 ? { malformedRows: p.malformedRows } : {}),
      transitions: p.transitions,
      delivered: p.delivery.published,
      deliveryFailures: p.delivery.failed.length,
      ...(p.failure ? { failureCode: p.failure.code, failure: p.failure.message } : {}),
      ...(p.reportWritten === false ? { reportWritten: false } : {}),
    })),
  };
}
