/**
 * The remediation function through its real middy-wrapped handler and the scheduled event from
 * events/: off unless enabled; when a project's deletions trip the brake, the alarm's metric is
 * emitted (EMF) and the one BRAKE event is published.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BRAKE_METRIC,
  cleanupSnapshotsDepsFromEnv,
  createCleanupSnapshotsHandler,
} from '../../functions/cleanup-snapshots';
import { DETAIL_TYPES } from '../../lib/events/contract';
import { createLogger } from '../../lib/observability/log';
import { createMetrics } from '../../lib/observability/metrics';
import { createFindingsStore } from '../../lib/state/dynamo/findings-table';
import { buildScanner, createEventBridgeClient } from '../../lib/wiring/scanner';
import { loadScanSettings } from '../../lib/wiring/settings/scanner';
import { formatCinderTime } from '../../tools/emulator/fleet';
import { type CleanupRig, startCleanupRig } from '../helpers/cleanup';
import { lambdaContext, loadEvent } from '../helpers/events';
import { jsonLinesWhile } from '../helpers/stdout';

const P = 'e1b2c3d4e5f60718293a4b5c6d7e8f90';
const snapshots = [1, 2, 3].map((n) => ({
  id: `00000000-0000-4000-8000-00000000000${n}`,
  status: 'available',
  name: `old-${n}`,
  description: null,
  created_at: formatCinderTime(Date.now() - 400 * 86_400_000, n),
  updated_at: null,
  metadata: {},
  volume_id: 'v',
  size: 8,
}));
const dir = mkdtempSync(join(tmpdir(), 'cleanup-fn-'));
const policyFile = join(dir, 'all.yml');
writeFileSync(
  policyFile,
  'version: 1\nrules:\n  - name: everything-old\n    finding: STALE\n    severity: low\n    match: { age: { from: created_at, over: 365d } }\n    cleanup: { after: 0d, approval: none }\n',
);
const silent = createLogger({}, () => undefined, 'silent');

let rig: CleanupRig;
beforeAll(async () => {
  rig = await startCleanupRig([{ projectId: P, snapshots }]);
  Object.assign(process.env, { AWS_ENDPOINT_URL_EVENTBRIDGE: rig.bus.url, POWERTOOLS_METRICS_DISABLED: 'false' });
});
afterAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  await rig.close();
});

const env = { EVS_AUTH: 'noauth', SCAN_PROJECT_IDS: P, SCAN_POLICY_FILE: policyFile };
const invoke = (deps: ReturnType<typeof cleanupSnapshotsDepsFromEnv>) =>
  (
    createCleanupSnapshotsHandler({ ...deps, metrics: createMetrics('cleanup-snapshots') }) as unknown as (
      e: unknown,
      c: Context,
    ) => Promise<Record<string, unknown>>
  )(loadEvent('scheduled-scan.json'), lambdaContext(60_000));

describe('the remediation function', () => {
  it('does nothing at all unless CLEANUP_ENABLED is true, not even read its settings', async () => {
    const answer = await invoke(cleanupSnapshotsDepsFromEnv({}, silent));
    expect(answer).toEqual({ enabled: false });
  });

  it("trips the brake on a policy that would delete every snapshot of a project: nothing deleted, one notification, the alarm's metric emitted", async () => {
    const settings = {
      ...env,
      EVS_ENDPOINT: rig.emulator.url,
      FINDINGS_TABLE: rig.dynamo.table,
      CLEANUP_ENABLED: 'true',
    };
    await buildScanner(loadScanSettings(settings), {
      store: createFindingsStore({ tableName: rig.dynamo.table }),
      eventBridge: createEventBridgeClient(2_000),
    })(Date.now() + 30_000);
    const marked = await invoke(cleanupSnapshotsDepsFromEnv(settings, silent));
    expect(marked).toMatchObject({ enabled: true, marked: 3, deleted: 0, braked: 0 });
    await new Promise((r) => setTimeout(r, 1_100));
    let answer: Record<string, unknown> = {};
    const blobs = (
      await jsonLinesWhile(async () => (answer = await invoke(cleanupSnapshotsDepsFromEnv(settings, silent))))
    ).filter((b) => '_aws' in b);
    expect(answer).toMatchObject({ deleted: 0, braked: 1 });
    expect(blobs.filter((b) => BRAKE_METRIC in b).map((b) => [b[BRAKE_METRIC], b.service])).toEqual([
      [1, 'cleanup-snapshots'],
    ]);
    expect(
      rig.bus.received.filter((e) => e.DetailType === DETAIL_TYPES.cleanup).map((e) => JSON.parse(e.Detail).action),
    ).toEqual(['MARKED', 'MARKED', 'MARKED', 'BRAKE']);
    expect(rig.emulator.store.size(P)).toBe(3);
  });
});
