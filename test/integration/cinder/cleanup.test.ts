/**
 * Cleanup against a real Cinder: marks written through Cinder's snapshot metadata API and read
 * back from Cinder's own database, deletions that Cinder shows `deleting`, nothing else touched;
 * approvals, refusals and the brake. The findings table is dynalite, events a local EventBridge.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARK_KEY } from '../../../lib/cleanup/decide';
import { createCleanupStore } from '../../../lib/cleanup/dynamo-store';
import { type CleanupDetail, DETAIL_TYPES, findingIdOf } from '../../../lib/events/contract';
import { createFindingsStore } from '../../../lib/state/dynamo/findings-table';
import { buildCleanup } from '../../../lib/wiring/cleanup';
import { buildScanner, createEventBridgeClient } from '../../../lib/wiring/scanner';
import { loadCleanupSettings } from '../../../lib/wiring/settings/cleanup';
import type { FleetProject } from '../../../tools/emulator/fleet';
import type { LocalDynamo } from '../../../tools/local/dynamodb';
import { type LocalEventBridge, startLocalEventBridge } from '../../../tools/local/eventbridge';
import { schemaErrors } from '../../helpers/schemas';
import { startStateTable } from '../../helpers/state';

const exec = promisify(execFile);
const CINDER = process.env.CINDER_URL as string;
const fleet = JSON.parse(readFileSync(process.env.CINDER_CLEANUP_FLEET as string, 'utf8')) as {
  projects: FleetProject[];
};
// In the order write-cleanup-fleet.ts writes them.
const [sweep, approve, brake] = fleet.projects.map((p) => p.projectId) as [string, string, string];
const CLEANUP_PROJECTS = { sweep, approve, brake };
const snapshotsOf = (projectId: string) => fleet.projects.find((p) => p.projectId === projectId)?.snapshots ?? [];
const idOf = (projectId: string, name: string) => snapshotsOf(projectId).find((s) => s.name === name)?.id as string;

/** What Cinder's database says, read with sqlite itself: status, soft-delete flag and the mark, per snapshot name. */
async function cinderRows(
  projectId: string,
): Promise<Map<string, { status: string; deleted: number; mark: string | null }>> {
  const script = `import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("select s.display_name, s.status, s.deleted, (select value from snapshot_metadata m where m.snapshot_id = s.id and m.key = ? and m.deleted = 0) from snapshots s where s.project_id = ?", (sys.argv[3], sys.argv[2])).fetchall()
print(json.dumps(rows))`;
  const { stdout } = await exec('/usr/bin/python3', [
    '-c',
    script,
    process.env.CINDER_DB as string,
    projectId,
    MARK_KEY,
  ]);
  return new Map(
    (JSON.parse(stdout) as Array<[string, string, number, string | null]>).map(([name, status, deleted, mark]) => [
      name,
      { status, deleted, mark },
    ]),
  );
}

const dir = mkdtempSync(join(tmpdir(), 'cinder-cleanup-'));
const policy = (approval: 'none' | 'required') => {
  const file = join(dir, `${approval}.yml`);
  writeFileSync(
    file,
    `version: 1\nrules:\n  - name: old-snapshots\n    finding: STALE\n    severity: low\n    match: { status: [available, error, creating], name: { pattern: "^old-" }, age: { from: created_at, over: 365d } }\n    cleanup: { after: 0d, approval: ${approval} }\n`,
  );
  return file;
};

let dynamo: LocalDynamo & { table: string };
let bus: LocalEventBridge;
beforeAll(async () => {
  expect(CINDER, 'CINDER_URL is set by run.sh').toBeTruthy();
  dynamo = await startStateTable();
  bus = await startLocalEventBridge();
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.url;
});
afterAll(async () => {
  await bus?.close();
  await dynamo?.close();
});

/** One scan then one cleanup pass against Cinder, as `npm run cleanup` does. */
async function run(
  projectId: string,
  approval: 'none' | 'required',
  options: { caps?: Record<string, string>; between?: () => Promise<void> } = {},
) {
  const settings = loadCleanupSettings({
    EVS_ENDPOINT: CINDER,
    EVS_AUTH: 'noauth',
    SCAN_PROJECT_IDS: projectId,
    SCAN_POLICY_FILE: policy(approval),
    FINDINGS_TABLE: dynamo.table,
    CLEANUP_ENABLED: 'true',
    ...options.caps,
  });
  const scan = await buildScanner(settings.scan, {
    store: createFindingsStore({ tableName: dynamo.table }),
    eventBridge: createEventBridgeClient(2_000),
  })(Date.now() + 60_000);
  expect(scan.projects[0]?.complete).toBe(true);
  await options.between?.();
  const before = bus.received.length;
  const brakes: string[][] = [];
  const result = await buildCleanup(settings, {
    eventBridge: createEventBridgeClient(2_000),
    onBrake: (_p, limits) => brakes.push(limits),
  })(Date.now() + 60_000);
  const events = bus.received
    .slice(before)
    .filter((e) => e.DetailType === DETAIL_TYPES.cleanup)
    .map((e) => JSON.parse(e.Detail) as CleanupDetail);
  for (const e of events) expect(schemaErrors(DETAIL_TYPES.cleanup, e)).toEqual([]);
  return { project: result.projects[0], events, brakes };
}
const NO_SHARE_CAP = { CLEANUP_MAX_PERCENT_PER_RUN: '100', CLEANUP_MAX_PERCENT_PER_DAY: '100' };
const cinder = (method: string, path: string, body?: unknown) =>
  fetch(`${CINDER}/v2/${path}`, {
    method,
    headers: {
      'X-Auth-Token': `admin:${path.split('/')[0]}`,
      'Content-Type': 'application/json',
      Accept: 'application/json',
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

describe('cleanup on a real Cinder', () => {
  it('marks the matching snapshots in Cinder on the first run and deletes them on the next; nothing else is touched', async () => {
    const P = CLEANUP_PROJECTS.sweep;
    const before = await cinderRows(P);
    const first = await run(P, 'none', { caps: NO_SHARE_CAP });
    expect(first.project).toMatchObject({ marked: 4, deleted: 0 });
    const marked = await cinderRows(P);
    const withMark = [...marked]
      .filter(([, r]) => r.mark !== null)
      .map(([name]) => name)
      .sort();
    // The error snapshot is deletable; the one still being created and the cloud's own are not marked.
    expect(withMark).toEqual(['old-1', 'old-2', 'old-3', 'old-err']);
    expect(marked.get('old-1')?.mark).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(first.events.filter((e) => e.action === 'MARKED')).toHaveLength(4);

    const second = await run(P, 'none', { caps: NO_SHARE_CAP });
    expect(second.project, second.events.map((e) => e.reason).join('\n')).toMatchObject({
      deleted: 4,
      failed: 0,
      refused: 0,
    });
    const after = await cinderRows(P);
    for (const name of ['old-1', 'old-2', 'old-3', 'old-err'])
      expect(['deleting', 'deleted'], name).toContain(after.get(name)?.status);
    // Everything else exactly as it was.
    for (const [name, row] of before) if (!withMark.includes(name)) expect(after.get(name), name).toEqual(row);
    expect(
      second.events
        .filter((e) => e.action === 'DELETED')
        .map((e) => e.snapshot?.name)
        .sort(),
    ).toEqual(withMark);
  });

  it('with approval required deletes nothing until the approval call; a suppressed or re-used (status changed, key removed) snapshot is not deleted', async () => {
    const P = CLEANUP_PROJECTS.approve;
    await run(P, 'required', { caps: NO_SHARE_CAP });
    const waiting = await run(P, 'required', { caps: NO_SHARE_CAP });
    expect(waiting.project).toMatchObject({ deleted: 0, waiting: 5 });
    expect([...(await cinderRows(P)).values()].every((r) => r.status === 'available')).toBe(true);

    const store = createCleanupStore({ tableName: dynamo.table });
    const at = new Date().toISOString();
    for (const name of ['old-a', 'old-b', 'old-c', 'old-d'])
      expect(
        await store.approve(
          P,
          findingIdOf(P, idOf(P, name)),
          'arn:aws:iam::123456789012:user/jane',
          at,
          Date.now() + 5_000,
        ),
      ).toBe(true);
    await createFindingsStore({ tableName: dynamo.table }).suppress(
      P,
      findingIdOf(P, idOf(P, 'old-b')),
      { until: new Date(Date.now() + 86_400_000).toISOString(), reason: 'legal hold', by: 'jane', at },
      Date.now() + 5_000,
    );
    const approved = await run(P, 'required', {
      caps: NO_SHARE_CAP,
      // After the scan: old-c taken back into use, old-d's mark removed by its owner, both through Cinder's API.
      between: async () => {
        expect(
          (
            await cinder('POST', `${P}/snapshots/${idOf(P, 'old-c')}/action`, {
              'os-reset_status': { status: 'backing-up' },
            })
          ).status,
        ).toBe(202);
        expect(
          (await cinder('DELETE', `${P}/snapshots/${idOf(P, 'old-d')}/metadata/${encodeURIComponent(MARK_KEY)}`))
            .status,
        ).toBe(200);
      },
    });
    expect(approved.project).toMatchObject({ deleted: 1, refused: 3, waiting: 1 });
    expect(approved.events.map((e) => [e.action, e.refusal ?? null, e.snapshot?.name, e.approvedBy]).sort()).toEqual([
      ['DELETED', null, 'old-a', 'arn:aws:iam::123456789012:user/jane'],
      ['REFUSED', 'MARK_CHANGED', 'old-d', 'arn:aws:iam::123456789012:user/jane'],
      ['REFUSED', 'STATUS', 'old-c', 'arn:aws:iam::123456789012:user/jane'],
      ['REFUSED', 'SUPPRESSED', 'old-b', 'arn:aws:iam::123456789012:user/jane'],
    ]);
    const rows = await cinderRows(P);
    expect(rows.get('old-a')?.status).toMatch(/^delet/);
    expect([
      rows.get('old-b')?.status,
      rows.get('old-c')?.status,
      rows.get('old-d')?.status,
      rows.get('old-e')?.status,
    ]).toEqual(['available', 'backing-up', 'available', 'available']);
  });

  it('trips the brake on a policy that would delete 100 % of a project: nothing deleted, one notification', async () => {
    const P = CLEANUP_PROJECTS.brake;
    await run(P, 'none');
    const braked = await run(P, 'none');
    expect(braked.project).toMatchObject({ braked: true, deleted: 0, snapshots: 3 });
    expect(braked.brakes).toHaveLength(1);
    expect(braked.events).toMatchObject([{ action: 'BRAKE', brake: { planned: 3, snapshots: 3 } }]);
    expect([...(await cinderRows(P)).values()].map((r) => r.status)).toEqual(['available', 'available', 'available']);
  });
});
