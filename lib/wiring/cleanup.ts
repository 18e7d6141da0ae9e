import { randomUUID } from 'node:crypto';
import { createEventPublisher, type EventBridgeSender } from '../events/publisher';
import { createSecretFetch, type SecretFetch } from '../secrets/reader';
import { createEventBridgeClient } from './scanner';
import { createTargetCatalog, type ScanRequest, type TargetCatalog } from '../scan/plan';
import type { EventSink } from '../scan/run-scan';
import type { CleanupSettingsFromEnv } from './settings/cleanup';
import { type CleanupDeps, type CleanupUnit, type ProjectCleanup, runCleanup } from '../cleanup/run';
import { createCleanupStore } from '../cleanup/dynamo-store';
import type { CleanupStore } from '../cleanup/store';

export interface CleanupOverrides {
  eventBridge?: EventBridgeSender;
  createSink?: (deadline: number) => EventSink;
  fetch?: typeof fetch;
  /** Reads CLEANUP_CREDENTIALS_SECRET, the targets parameter and the switch (tests: local endpoints). */
  fetchSecret?: SecretFetch;
  now?: () => number;
  store?: CleanupStore;
  catalog?: TargetCatalog;
  dryRun?: boolean;
  onAction?: CleanupDeps['onAction'];
  onBrake?: CleanupDeps['onBrake'];
  unrecorded?: CleanupDeps['unrecorded'];
}

export interface CleanupRun {
  runId: string;
  /** What the switch said: false held every deletion. */
  deletionsAllowed: boolean;
  projects: ProjectCleanup[];
}

/** Wires the cleanup from settings once; call the result for each run. */
export function buildCleanup(settings: CleanupSettingsFromEnv, overrides: CleanupOverrides = {}) {
  const scan = settings.scan;
  const fetchSecret = overrides.fetchSecret ?? createSecretFetch({ maxAgeSeconds: 0 });
  const catalog = overrides.catalog ?? createTargetCatalog(scan.targets, { fetch: overrides.fetch, fetchSecret, fetchParameter: fetchSecret, auth: settings.auth });
  const store = overrides.store ?? createCleanupStore({ tableName: settings.findingsTable });
  let eventBridge = overrides.eventBridge;
  const createSink =
    overrides.createSink ??
    ((deadline: number) => {
      eventBridge ??= createEventBridgeClient(scan.publishCallTimeoutMs);
      return createEventPublisher({ client: eventBridge, busName: scan.eventBusName, maxBatchBytes: scan.maxBatchBytes, retry: scan.publishRetry, maxInFlight: scan.publishConcurrency, callTimeoutMs: scan.publishCallTimeoutMs, deadline });
    });

  /** The switch is read fresh every run; a parameter that cannot be read holds every deletion. */
  async function readSwitch(): Promise<boolean> {
    if (!settings.switchParameter) return true;
    try {
      return (await fetchSecret(settings.switchParameter, { force: true })).trim() === 'on';
    } catch {
      return false;
    }
  }

  return async (deadline: number, request: ScanRequest = {}): Promise<CleanupRun> => {
    const runId = randomUUID();
    const plan = await catalog.plan(request, deadline);
    const units: CleanupUnit[] = [];
    for (const item of plan.items) units.push({ ...item, client: (await catalog.clientFor(item.target)).client });
    const deletionsAllowed = await readSwitch();
    const projects = await runCleanup(
      { store, createSink, now: overrides.now, onAction: overrides.onAction, onBrake: overrides.onBrake, unrecorded: overrides.unrecorded },
      { runId, units, policy: scan.policy, source: scan.eventSource, caps: settings.caps, deletionsAllowed, dryRun: overrides.dryRun ?? false, pageSize: scan.pageSize, maxPages: scan.maxPages, deadline },
    );
    return { runId, deletionsAllowed, projects };
  };
}
