import { randomUUID } from 'node:crypto';
import { createCleanupStore } from '../cleanup/dynamo-store';
import { type CleanupDeps, type CleanupUnit, type ProjectCleanup, runCleanup } from '../cleanup/run';
import type { CleanupStore } from '../cleanup/store';
import { type Env, flag } from '../config/env';
import { buildOnce } from '../lambda/handler';
import { createFunctionLogger, type Logger } from '../observability/log';
import type { ScanRequest, TargetCatalog } from '../scan/plan';
import { createSecretFetch, type SecretFetch } from '../secrets/reader';
import { createTargetCatalog } from './catalog';
import { type BusOverrides, createSinkFactory } from './event-bus';
import { type CleanupSettingsFromEnv, loadCleanupSettings } from './settings/cleanup';

export interface CleanupOverrides extends BusOverrides {
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
  const catalog =
    overrides.catalog ??
    createTargetCatalog(scan.targets, {
      fetch: overrides.fetch,
      fetchSecret,
      fetchParameter: fetchSecret,
      auth: settings.auth,
    });
  const store = overrides.store ?? createCleanupStore({ tableName: settings.findingsTable });
  const createSink = createSinkFactory(scan, overrides);

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
      {
        store,
        createSink,
        now: overrides.now,
        onAction: overrides.onAction,
        onBrake: overrides.onBrake,
        unrecorded: overrides.unrecorded,
      },
      {
        runId,
        units,
        policy: scan.policy,
        source: scan.eventSource,
        caps: settings.caps,
        deletionsAllowed,
        dryRun: overrides.dryRun ?? false,
        pageSize: scan.pageSize,
        maxPages: scan.maxPages,
        deadline,
      },
    );
    return { runId, deletionsAllowed, projects };
  };
}

export type Cleanup = (deadline: number) => Promise<CleanupRun>;

/** The remediation function's dependencies (functions/cleanup-snapshots.ts), from an environment; no cleanup at all unless CLEANUP_ENABLED. */
export function cleanupSnapshotsDepsFromEnv(
  env: Env = process.env,
  logger: Logger = createFunctionLogger('cleanup-snapshots'),
  overrides: CleanupOverrides = {},
): { logger: Logger; cleanup: Cleanup | undefined | Error } {
  const built = buildOnce(() => {
    // Disabled: nothing is read or checked, so an undeployed cleanup needs no settings at all.
    if (!flag(env, 'CLEANUP_ENABLED', false)) return { cleanup: undefined };
    const settings = loadCleanupSettings(env);
    const onBrake = (projectId: string, limits: string[]) => logger.error('cleanup brake', { projectId, limits });
    return { cleanup: buildCleanup(settings, { onBrake, ...overrides }) };
  }, logger);
  return built instanceof Error ? { logger, cleanup: built } : { logger, ...built };
}
