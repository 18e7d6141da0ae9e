import { randomUUID } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createUpstreamClient } from '../evs/factory';
import { createEventPublisher, type EventBridgeSender } from '../events/publisher';
import type { SecretFetch } from '../secrets/reader';
import type { ScanSettingsFromEnv } from '../settings/scanner';
import { createFindingsStore, type FindingsStore } from '../state/dynamo-store';
import { type EventSink, runScan, type ScanDeps, type ScanResult } from './run-scan';

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
}

/** The production EventBridge client: no SDK retries (the publisher owns them) and bounded sockets. */
export function createEventBridgeClient(callTimeoutMs: number): EventBridgeClient {
  return new EventBridgeClient({ maxAttempts: 1, requestHandler: { requestTimeout: callTimeoutMs, connectionTimeout: Math.min(callTimeoutMs, 3_000) } });
}

export type Scanner = (deadline: number, scanId?: string) => Promise<ScanResult>;

/** Wires a scanner from settings once; call the result for each run. */
export function buildScanner(settings: ScanSettingsFromEnv, overrides: ScannerOverrides = {}): Scanner {
  const lister = createUpstreamClient(settings.upstream, { fetch: overrides.fetch, fetchSecret: overrides.fetchSecret });
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
  const state = store ? { store, lifecycle: { remindAfterMs: settings.remindAfterMs }, resolvedRetentionMs: settings.resolvedRetentionMs, dryRun: overrides.dryRun ?? false } : undefined;
  const deps: ScanDeps = { lister, createSink, now: overrides.now, onProgress: overrides.onProgress, onBug: overrides.onBug, state };
  return (deadline, scanId = randomUUID()) =>
    runScan(deps, {
      scanId,
      projects: settings.projects,
      policy: settings.policy,
      region: settings.upstream.region,
      source: settings.eventSource,
      concurrency: settings.concurrency,
      pageSize: settings.pageSize,
      maxPages: settings.maxPages,
      deadline,
      reserveMs: settings.reserveMs,
    });
}

/** The run's outcome as one log line or return value: counts, not events. */
export function summariseResult(result: ScanResult) {
  return {
    scanId: result.scanId,
    ok: result.ok,
    projects: result.projects.map((p) => ({
      projectId: p.projectId,
      complete: p.complete,
      snapshotsRead: p.snapshotsRead,
      pagesRead: p.pagesRead,
      findings: p.countsByFindingType,
      ...(p.skipped ? { skipped: true } : {}),
      transitions: p.transitions,
      delivered: p.delivery.published,
      deliveryFailures: p.delivery.failed.length,
      ...(p.failure ? { failureCode: p.failure.code, failure: p.failure.message } : {}),
    })),
  };
}
