import { randomUUID } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { ScanConfig } from '../config';
import { createListerFromConfig } from '../evs/factory';
import { createEventPublisher, type EventBridgeSender } from '../events/publisher';
import { type EventSink, runScan, type ScanDeps, type ScanResult } from './run-scan';

export interface ScannerOverrides {
  /** Defaults to a real EventBridgeClient (endpoint from AWS_ENDPOINT_URL_EVENTBRIDGE when set). */
  eventBridge?: EventBridgeSender;
  /** Replaces EventBridge entirely, e.g. the dry-run printer. */
  createSink?: (deadline: number) => EventSink;
  /** Used for IAM token requests (EVS_AUTH=token with password settings). */
  fetch?: typeof fetch;
  now?: () => number;
  onProgress?: ScanDeps['onProgress'];
}

/** Wires a scanner from configuration once; call the result for each run. */
export function buildScanner(config: ScanConfig, overrides: ScannerOverrides = {}) {
  const lister = createListerFromConfig(config.upstream, overrides.fetch);
  let eventBridge = overrides.eventBridge;
  const createSink =
    overrides.createSink ??
    ((deadline: number) => {
      eventBridge ??= new EventBridgeClient({});
      return createEventPublisher({ client: eventBridge, busName: config.eventBusName, maxBatchBytes: config.maxBatchBytes, retry: config.publishRetry, maxInFlight: config.publishConcurrency, deadline });
    });
  const deps: ScanDeps = { lister, createSink, now: overrides.now, onProgress: overrides.onProgress };
  return (deadline: number, scanId: string = randomUUID()): Promise<ScanResult> =>
    runScan(deps, {
      scanId,
      projects: config.projects,
      policy: config.policy,
      region: config.upstream.region,
      source: config.eventSource,
      concurrency: config.concurrency,
      pageSize: config.pageSize,
      maxPages: config.maxPages,
      deadline,
      reserveMs: config.reserveMs,
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
      delivered: p.delivery.published,
      deliveryFailures: p.delivery.failed.length,
      ...(p.failure ? { failureCode: p.failure.code, failure: p.failure.message } : {}),
    })),
  };
}
