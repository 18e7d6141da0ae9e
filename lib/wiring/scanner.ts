import { randomUUID } from 'node:crypto';
import type { Env } from '../config/env';
import { buildOnce } from '../lambda/handler';
import { createFunctionLogger, describeError, type Logger } from '../observability/log';
import { lazyS3ReportStore } from '../report/lazy-s3-store';
import { createReportLink } from '../report/link';
import { writeReportParts } from '../report/parts';
import type { ReportStore } from '../report/store';
import { createPrintingSink } from '../scan/dry-run';
import type { ScanRequest, TargetCatalog } from '../scan/plan';
import type { ProjectResult, ScanDeps, ScanResult } from '../scan/run-scan';
import { type DiscoveryFailureDeps, type ItemScanDeps, scanPlanned } from '../scan/scan-plan';
import type { SecretFetch } from '../secrets/reader';
import { createFindingsStore } from '../state/dynamo/findings-table';
import type { FindingsStore } from '../state/store';
import { catalogFor } from './catalog';
import { type BusOverrides, createSinkFactory } from './event-bus';
import { loadScanSettings, type ScanSettingsFromEnv } from './settings/scanner';

// Tests and scripts build the production client from here.
export { createEventBridgeClient } from './event-bus';

export interface ScannerOverrides extends BusOverrides {
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

export type Scanner = (deadline: number, request?: ScanRequest) => Promise<ScanResult>;

/** The findings table's store when one is configured: without it, scans have no memory. */
export function findingsStoreOf(
  settings: Pick<ScanSettingsFromEnv, 'findingsTable'>,
  overrides: { store?: FindingsStore },
): FindingsStore | undefined {
  return (
    overrides.store ?? (settings.findingsTable ? createFindingsStore({ tableName: settings.findingsTable }) : undefined)
  );
}

/** What a scanner is built from, shared by the one-invocation scanner and the fan-out worker. */
export function buildScanParts(settings: ScanSettingsFromEnv, overrides: ScannerOverrides = {}) {
  const catalog = catalogFor(settings.targets, overrides);
  const createSink = createSinkFactory(settings, overrides);
  const store = findingsStoreOf(settings, overrides);
  const state = store
    ? {
        store,
        lifecycle: { remindAfterMs: settings.remindAfterMs },
        resolvedRetentionMs: settings.resolvedRetentionMs,
        dryRun: overrides.dryRun ?? false,
        leaseMs: settings.leaseMs,
      }
    : undefined;
  // Summaries link the latest report when there is a bucket it lives in (not in a dry run).
  const reportLink =
    overrides.reportLink ??
    (settings.report && !overrides.dryRun
      ? createReportLink({ ...settings.report, linkExpiresSeconds: settings.linkExpiresSeconds })
      : undefined);
  // A dry run writes nothing, report parts included.
  const reports =
    overrides.reports ?? (settings.report && !overrides.dryRun ? lazyS3ReportStore(settings.report) : undefined);
  const work: ItemScanDeps = {
    clientFor: catalog.clientFor,
    scan: {
      createSink,
      now: overrides.now,
      onProgress: overrides.onProgress,
      onBug: overrides.onBug,
      state,
      reportLink,
    },
    settings: {
      policy: settings.policy,
      source: settings.eventSource,
      concurrency: settings.concurrency,
      pageSize: settings.pageSize,
      maxPages: settings.maxPages,
      reserveMs: settings.reserveMs,
      ownerMetadataKey: settings.ownerMetadataKey,
      prices: settings.prices,
    },
    ...(reports
      ? {
          afterScan: (result: ScanResult, deadline: number) =>
            writeReportParts(reports, result, deadline, overrides.onReportError),
        }
      : {}),
  };
  const discovery: DiscoveryFailureDeps = { createSink, source: settings.eventSource, now: overrides.now };
  return { catalog, store, work, discovery };
}

/** Wires a scanner from settings once; call the result for each run. */
export function buildScanner(settings: ScanSettingsFromEnv, overrides: ScannerOverrides = {}): Scanner {
  const { catalog, work, discovery } = buildScanParts(settings, overrides);
  return (deadline, request = {}) =>
    scanPlanned({ ...work, plan: catalog.plan, discovery }, request, request.scanId ?? randomUUID(), deadline);
}

/** A scan's bugs and unwritten report parts, logged. */
export function loggedScanHooks(logger: Logger): Pick<ScannerOverrides, 'onBug' | 'onReportError'> {
  return {
    onBug: (error, projectId) =>
      logger.error('scan failed unexpectedly', { projectId, ...describeError(error, { stack: true }) }),
    onReportError: (error, p) =>
      logger.error('report part not written', { target: p.target, projectId: p.projectId, ...describeError(error) }),
  };
}

/** The one-invocation scanner's dependencies (functions/scan-snapshots.ts), from an environment. */
export function scanSnapshotsDepsFromEnv(
  env: Env = process.env,
  logger: Logger = createFunctionLogger('scan-snapshots'),
  overrides: ScannerOverrides = {},
): { logger: Logger; scan: Scanner | Error; dryRunScan?: Scanner } {
  const { onBug, onReportError } = loggedScanHooks(logger);
  const built = buildOnce(() => {
    const settings = loadScanSettings(env);
    if (!settings.findingsTable)
      logger.warn('FINDINGS_TABLE is not set: scanning without memory, every finding is reported on every run');
    const catalog = catalogFor(settings.targets, overrides);
    return {
      scan: buildScanner(settings, { onBug, onReportError, ...overrides, catalog }),
      // Published events go nowhere; the summary says what the run found.
      dryRunScan: buildScanner(settings, {
        onBug,
        ...overrides,
        catalog,
        dryRun: true,
        createSink: () => createPrintingSink(() => undefined),
      }),
    };
  }, logger);
  return built instanceof Error ? { logger, scan: built } : { logger, ...built };
}
