/**
 * Cleanup end to end on loopback: the real scanner and the real cleanup against the emulator,
 * the findings table on dynalite, events on a local EventBridge, approvals through the real
 * findings API handler. Every refusal path is exercised here.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findingsDepsFromEnv } from '../../functions/findings';
import { MARK_KEY } from '../../lib/cleanup/decide';
import { createCleanupStore } from '../../lib/cleanup/dynamo-store';
import type { Snapshot } from '../../lib/domain/snapshot';
import { type CleanupDetail, DETAIL_TYPES, findingIdOf } from '../../lib/events/contract';
import { createLogger } from '../../lib/observability/log';
import { createFindingsStore } from '../../lib/state/dynamo/findings-table';
import { noauthAuth } from '../../lib/upstream/auth';
import { createEvsClient } from '../../lib/upstream/client';
import { createTargetCatalog } from '../../lib/wiring/catalog';
import { buildCleanup } from '../../lib/wiring/cleanup';
import { buildScanner, createEventBridgeClient } from '../../lib/wiring/scanner';
import { loadCleanupSettings } from '../../lib/wiring/settings/cleanup';
import { formatCinderTime } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import type { LocalDynamo } from '../../tools/local/dynamodb';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { listenOnLoopback } from '../../tools/local/loopback';
import { lambdaContext, loadEvent } from '../helpers/events';
import { checkedFindingsHandler } from '../helpers/handler';
import { schemaErrors } from '../helpers/schemas';
import { startStateTable } from '../helpers/state';

const P = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const ALL_OF_IT = 'b1b2c3d4e5f60718293a4b5c6d7e8f90';
const DAY = 86_400_000;
const START = Date.now();
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const snap = (n: number, name: string, ageDays: number, extra: Partial<Snapshot> = {}): Snapshot => ({
  id: id(n),
  status: 'available',
  name,
  description: null,
  created_at: formatCinderTime(START - ageDays * DAY, n),
  updated_at: null,
  metadata: {},
  volume_id: `10000000-0000-4000-8000-${String(n % 7).padStart(12, '0')}`,
  size: 10 + n,
  ...extra,
});
// 4 old snapshots the rule deletes, a backup snapshot the cloud made that looks the same, 40 young ones.
const OLD = [1, 2, 3, 4].map((n) => snap(n, `old-${n}`, 400, n === 1 ? { metadata: { owner: 'team-a' } } : {}));
const SYSTEM = snap(5, 'old-5', 400, { metadata: { __system__enableActive: 'true' } });
const YOUNG = Array.from({ length: 40 }, (_, i) => snap(100 + i, `daily-${i}`, i % 30));
const project = () => ({ projectId: P, snapshots: [...OLD, SYSTEM, ...YOUNG] });
const allOfIt = () => ({ projectId: ALL_OF_IT, snapshots: [1, 2, 3].map((n) => snap(200 + n, `old-x${n}`, 400)) });

const dir = mkdtempSync(join(tmpdir(), 'cleanup-'));
const policy = (approval: 'none' | 'required', after = '0d') => {
  const file = join(dir, `policy-${approval}-${after}.yml`);
  writeFileSync(
    file,
    `version: 1\nrules:\n  - name: old-snapshots\n    finding: STALE\n    severity: low\n    match: { status: [available, error], name: { pattern: "^old-" }, age: { from: created_at, over: 365d } }\n    cleanup: { after: ${after}, approval: ${approval} }\n`,
  );
  return file;
};

let emulator: RunningEmulator;
let dynamo: LocalDynamo & { table: string };
let bus: LocalEventBridge;
beforeAll(async () => {
  emulator = await startEmulator({ projects: [project(), allOfIt()], auth: { mode: 'noauth' } });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  dynamo = await startStateTable();
  bus = await startLocalEventBridge();
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.url;
  emulator.store.load(project());
  emulator.store.load(allOfIt());
});
afterEach(async () => {
  await bus.close();
  await dynamo.close();
});

interface Run {
  policyFile: string;
  at: number;
  projects?: string[];
  env?: Record<string, string>;
  dryRun?: boolean;
  between?: () => Promise<void> | void;
  /** Replaces the upstream's DELETE (a refusing or silent upstream). */
  deleteVia?: string;
}

const cleanupEvents = () =>
  bus.received.filter((e) => e.DetailType === DETAIL_TYPES.cleanup).map((e) => JSON.parse(e.Detail) as CleanupDetail);

/** One scan, then one cleanup pass, both at `at`. */
async function run(r: Run) {
  const env = {
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    SCAN_PROJECT_IDS: (r.projects ?? [P]).join(','),
    SCAN_POLICY_FILE: r.policyFile,
    FINDINGS_TABLE: dynamo.table,
    CLEANUP_ENABLED: 'true',
    ...r.env,
  };
  const settings = loadCleanupSettings(env);
  await buildScanner(settings.scan, {
    store: createFindingsStore({ tableName: dynamo.table }),
    eventBridge: createEventBridgeClient(2_000),
    now: () => r.at,
  })(Date.now() + 30_000);
  await r.between?.();
  const lines: string[] = [];
  const brakes: string[][] = [];
  const catalog = createTargetCatalog(settings.scan.targets);
  const deleting = r.deleteVia ? createEvsClient({ endpoint: r.deleteVia, auth: noauthAuth() }) : undefined;
  const patched = deleting
    ? {
        ...catalog,
        clientFor: async (name: string) => {
          const c = await catalog.clientFor(name);
          return { ...c, client: { ...c.client, deleteSnapshot: deleting.deleteSnapshot } };
        },
      }
    : catalog;
  const before = bus.received.length;
  const result = await buildCleanup(settings, {
    catalog: patched,
    eventBridge: createEventBridgeClient(2_000),
    now: () => r.at,
    dryRun: r.dryRun,
    onAction: (l) => lines.push(l),
    onBrake: (_p, limits) => brakes.push(limits),
  })(Date.now() + 30_000);
  const events = bus.received
    .slice(before)
    .filter((e) => e.DetailType === DETAIL_TYPES.cleanup)
    .map((e) => JSON.parse(e.Detail) as CleanupDetail);
  for (const e of events) expect(schemaErrors(DETAIL_TYPES.cleanup, e)).toEqual([]);
  return { result, lines, brakes, events };
}

const marked = (projectId = P) =>
  emulator.store.projectIds().includes(projectId)
    ? project()
        .snapshots.map((s) => emulator.store.get(projectId, s.id))
        .filter((s): s is Snapshot => !!s && Object.hasOwn(s.metadata, MARK_KEY))
    : [];
const present = (projectId = P) =>
  (projectId === P ? project() : allOfIt()).snapshots
    .filter((s) => emulator.store.get(projectId, s.id))
    .map((s) => s.name);
const trail = async (projectId = P) =>
  (await createCleanupStore({ tableName: dynamo.table }).trail(projectId, '2000', Date.now() + 5_000)).map((a) => [
    a.action,
    a.detail.refusal ?? null,
    a.detail.snapshot?.name ?? null,
  ]);
const CAPS_OFF = { CLEANUP_MAX_PERCENT_PER_RUN: '100', CLEANUP_MAX_PERCENT_PER_DAY: '100' };

describe('a cleanup rule with after 0d and no approval', () => {
  it('marks the matching snapshots on the first run, deletes them on the next, and touches nothing else', async () => {
    const first = await run({ policyFile: policy('none'), at: START });
    expect(first.result.projects[0]).toMatchObject({ marked: 4, deleted: 0 });
    expect(
      marked()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['old-1', 'old-2', 'old-3', 'old-4']);
    const mark = marked()[0]?.metadata[MARK_KEY];
    expect(mark).toBe(`${new Date(START).toISOString().slice(0, 19)}Z`);
    // The owner is told what goes, when, and how to stop it.
    const notice = first.events.find((e) => e.snapshot?.name === 'old-1');
    expect(notice).toMatchObject({ action: 'MARKED', rule: 'old-snapshots', owner: 'team-a', deleteAfter: mark });
    expect(notice?.reason).toMatch(
      /will be deleted after .* suppress finding [0-9a-f]{32} .* remove the metadata key snapshot-sentinel:delete-after/,
    );
    expect(present()).toHaveLength(45);

    const second = await run({ policyFile: policy('none'), at: START + 60_000 });
    expect(second.result.projects[0]).toMatchObject({
      deleted: 4,
      refused: 0,
      failed: 0,
      braked: false,
      snapshots: 45,
    });
    expect(present()).toEqual(['old-5', ...YOUNG.map((s) => s.name)]);
    expect(second.events.map((e) => [e.action, e.snapshot?.name, e.snapshot?.size])).toEqual(
      expect.arrayContaining([
        ['DELETED', 'old-1', 11],
        ['DELETED', 'old-4', 14],
      ]),
    );
    expect(await trail()).toHaveLength(8);
    // The third run finds nothing left to do.
    const third = await run({ policyFile: policy('none'), at: START + 120_000 });
    expect(third.events).toEqual([]);
  });

  it('waits out a grace period: marked with the date 14 days on, nothing deleted before it', async () => {
    await run({ policyFile: policy('none', '14d'), at: START });
    expect(marked()[0]?.metadata[MARK_KEY]).toBe(`${new Date(START + 14 * DAY).toISOString().slice(0, 19)}Z`);
    const early = await run({ policyFile: policy('none', '14d'), at: START + 13 * DAY });
    expect(early.result.projects[0]).toMatchObject({ deleted: 0, waiting: 4 });
    const due = await run({ policyFile: policy('none', '14d'), at: START + 14 * DAY + 1_000, env: CAPS_OFF });
    expect(due.result.projects[0]).toMatchObject({ deleted: 4 });
  });
});

describe('with approval required', () => {
  const approvalEvent = (findingId: string | undefined, method = 'POST', query = ''): APIGatewayProxyEventV2 => {
    const e = loadEvent<APIGatewayProxyEventV2>('http-api-approve-finding.json');
    const path = findingId ? `/v2/${P}/findings/${findingId}/approval` : `/v2/${P}/findings/approval`;
    return {
      ...e,
      rawPath: path,
      rawQueryString: query,
      pathParameters: { project_id: P, ...(findingId ? { finding_id: findingId } : {}) },
      requestContext: { ...e.requestContext, http: { ...e.requestContext.http, method, path } },
    };
  };
  const api = () => {
    const deps = findingsDepsFromEnv(
      { FINDINGS_TABLE: dynamo.table, ALLOWED_PROJECT_IDS: P, EVENT_BUS_NAME: 'default', AWS_REGION: 'eu-west-1' },
      createLogger({}, () => undefined, 'silent'),
    );
    return checkedFindingsHandler(deps);
  };

  it('deletes nothing until the approval call, then only the approved snapshot, naming the approver', async () => {
    await run({ policyFile: policy('required'), at: START });
    const waiting = await run({ policyFile: policy('required'), at: START + 60_000 });
    expect(waiting.result.projects[0]).toMatchObject({ deleted: 0, waiting: 4 });
    expect(waiting.lines.join('\n')).toContain('waiting for approval');
    expect(present()).toHaveLength(45);

    const findingId = findingIdOf(P, id(2));
    const answer = await api()(approvalEvent(findingId), lambdaContext());
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body).approval).toMatchObject({
      id: findingId,
      approved_by: 'arn:aws:sts::123456789012:assumed-role/platform-oncall/jane',
    });
    expect(cleanupEvents().filter((e) => e.action === 'APPROVED')).toMatchObject([
      {
        findingId,
        approvedBy: 'arn:aws:sts::123456789012:assumed-role/platform-oncall/jane',
        snapshot: { name: 'old-2' },
      },
    ]);

    const after = await run({ policyFile: policy('required'), at: START + 120_000 });
    expect(after.result.projects[0]).toMatchObject({ deleted: 1, waiting: 3 });
    expect(after.events.find((e) => e.action === 'DELETED')).toMatchObject({
      snapshot: { name: 'old-2' },
      approvedBy: 'arn:aws:sts::123456789012:assumed-role/platform-oncall/jane',
    });
    expect(present()).not.toContain('old-2');
  });

  it('withdraws an approval with DELETE, approves a rule in bulk, and refuses what is not marked', async () => {
    await run({ policyFile: policy('required'), at: START });
    const handler = api();
    const one = findingIdOf(P, id(1));
    expect((await handler(approvalEvent(one), lambdaContext())).statusCode).toBe(200);
    expect((await handler(approvalEvent(one, 'DELETE'), lambdaContext())).statusCode).toBe(200);
    expect((await handler(approvalEvent(one, 'DELETE'), lambdaContext())).statusCode).toBe(409);
    const young = await handler(approvalEvent(findingIdOf(P, id(100))), lambdaContext());
    expect(young.statusCode).toBe(404);
    expect(JSON.parse(young.body)).toEqual({
      itemNotFound: { code: 'FINDING_NOT_FOUND', message: expect.stringContaining('is not known') },
    });
    const badRule = await handler(approvalEvent(undefined, 'POST', 'rule=Not_A_Rule'), lambdaContext());
    expect(badRule.statusCode).toBe(400);
    const bulk = await handler(approvalEvent(undefined, 'POST', 'rule=old-snapshots'), lambdaContext());
    expect(JSON.parse(bulk.body)).toMatchObject({ rule: 'old-snapshots', more: false });
    expect(JSON.parse(bulk.body).approved).toHaveLength(4);
    const deleted = await run({ policyFile: policy('required'), at: START + 60_000 });
    expect(deleted.result.projects[0]).toMatchObject({ deleted: 4 });
    expect(
      cleanupEvents()
        .map((e) => e.action)
        .filter((a) => a.startsWith('APPROVAL')),
    ).toEqual(['APPROVAL_WITHDRAWN']);
  });
});

describe('refusals: a due snapshot is re-read and re-checked before its delete', () => {
  it('does not delete a suppressed, re-used (status changed) or unmarked (key removed) snapshot, and says why', async () => {
    await run({ policyFile: policy('none'), at: START });
    await createFindingsStore({ tableName: dynamo.table }).suppress(
      P,
      findingIdOf(P, id(1)),
      {
        until: new Date(START + 30 * DAY).toISOString(),
        reason: 'keep for audit',
        by: 'jane',
        at: new Date(START).toISOString(),
      },
      Date.now() + 5_000,
    );
    const r = await run({
      policyFile: policy('none'),
      at: START + 60_000,
      env: CAPS_OFF,
      // After the scan, before the cleanup re-reads: one snapshot taken back into use, one key removed by its owner.
      between: () => {
        emulator.store.resetStatus(P, id(2), 'backing-up', formatCinderTime(START, 0));
        const s3 = emulator.store.get(P, id(3)) as Snapshot;
        const { [MARK_KEY]: _gone, ...rest } = s3.metadata;
        emulator.store.load({
          projectId: P,
          snapshots: project().snapshots.map((s) =>
            s.id === id(3) ? { ...s3, metadata: rest } : (emulator.store.get(P, s.id) as Snapshot),
          ),
        });
      },
    });
    expect(r.result.projects[0]).toMatchObject({ deleted: 1, refused: 3 });
    expect(r.events.map((e) => [e.action, e.refusal ?? null, e.snapshot?.name]).sort()).toEqual([
      ['DELETED', null, 'old-4'],
      ['REFUSED', 'MARK_CHANGED', 'old-3'],
      ['REFUSED', 'STATUS', 'old-2'],
      ['REFUSED', 'SUPPRESSED', 'old-1'],
    ]);
    expect(present()).toEqual(expect.arrayContaining(['old-1', 'old-2', 'old-3']));
    // A removed key is final: the snapshot is not marked again.
    const next = await run({ policyFile: policy('none'), at: START + 120_000, env: CAPS_OFF });
    expect(next.events.filter((e) => e.snapshot?.name === 'old-3')).toEqual([]);
  });

  it('refuses a snapshot that changed between the listing and the delete (no longer meets the rule)', async () => {
    await run({ policyFile: policy('none'), at: START });
    const r = await run({
      policyFile: policy('none'),
      at: START + 60_000,
      env: CAPS_OFF,
      between: () => {
        const s = emulator.store.get(P, id(4)) as Snapshot;
        emulator.store.load({
          projectId: P,
          snapshots: project()
            .snapshots.map((x) =>
              x.id === id(4) ? { ...s, name: 'kept-4' } : (emulator.store.get(P, x.id) as Snapshot),
            )
            .filter(Boolean),
        });
      },
    });
    expect(r.events.find((e) => e.snapshot?.id === id(4))).toMatchObject({
      action: 'REFUSED',
      refusal: 'NO_LONGER_MATCHES',
    });
    expect(emulator.store.get(P, id(4))).toBeDefined();
  });

  it('reports a delete the upstream refuses as FAILED, never as done', async () => {
    const refusing = createServer((_req, res) => {
      res.writeHead(403, { 'Content-Type': 'application/json', 'X-Openstack-Request-Id': 'req-0f1e2d3c' });
      res.end(
        JSON.stringify({
          forbidden: { code: 403, message: 'Policy does not allow volume:delete_snapshot to be performed.' },
        }),
      );
    });
    const bound = await listenOnLoopback(refusing);
    try {
      await run({ policyFile: policy('none'), at: START });
      const r = await run({ policyFile: policy('none'), at: START + 60_000, env: CAPS_OFF, deleteVia: bound.url });
      expect(r.result.projects[0]).toMatchObject({ deleted: 0, failed: 4 });
      expect(r.events.every((e) => e.action === 'FAILED' && e.upstreamStatus === 403)).toBe(true);
      expect(present()).toHaveLength(45);
    } finally {
      await bound.close();
    }
  });

  it('reports a delete accepted but not carried out as FAILED (not confirmed)', async () => {
    const silent = createServer((_req, res) => {
      res.writeHead(202);
      res.end();
    });
    const bound = await listenOnLoopback(silent);
    try {
      await run({ policyFile: policy('none'), at: START });
      const r = await run({ policyFile: policy('none'), at: START + 60_000, env: CAPS_OFF, deleteVia: bound.url });
      expect(r.result.projects[0]).toMatchObject({ deleted: 0, failed: 4 });
      expect(r.events[0]?.reason).toMatch(/still available: not confirmed/);
      // Not recorded as removed: the next run tries again.
      const again = await run({ policyFile: policy('none'), at: START + 120_000, env: CAPS_OFF });
      expect(again.result.projects[0]).toMatchObject({ deleted: 4 });
    } finally {
      await bound.close();
    }
  });
});

describe('brakes', () => {
  it('a policy that would delete 100 % of a project deletes nothing, notifies once and reports the brake', async () => {
    await run({ policyFile: policy('none'), at: START, projects: [ALL_OF_IT] });
    const r = await run({ policyFile: policy('none'), at: START + 60_000, projects: [ALL_OF_IT] });
    expect(r.result.projects[0]).toMatchObject({ braked: true, deleted: 0, snapshots: 3 });
    expect(r.brakes).toEqual([['3 of 3 snapshots in one run, over 10 %', '3 of 3 snapshots today, over 10 %']]);
    expect(r.events).toMatchObject([
      { action: 'BRAKE', snapshot: null, brake: { planned: 3, snapshots: 3, deletedToday: 0 } },
    ]);
    expect(present(ALL_OF_IT)).toHaveLength(3);
  });

  it("counts the day's earlier deletions against the daily cap", async () => {
    await run({ policyFile: policy('none'), at: START });
    const r = await run({
      policyFile: policy('none'),
      at: START + 60_000,
      env: { ...CAPS_OFF, CLEANUP_MAX_PER_RUN: '4', CLEANUP_MAX_PER_DAY: '4' },
    });
    expect(r.result.projects[0]).toMatchObject({ deleted: 4 });
    // A fifth marked snapshot the same day would exceed the daily 4.
    emulator.store.load({
      projectId: P,
      snapshots: [
        ...present().map((n) => project().snapshots.find((s) => s.name === n) as Snapshot),
        snap(6, 'old-6', 400),
      ],
    });
    await run({ policyFile: policy('none'), at: START + 120_000, env: { ...CAPS_OFF, CLEANUP_MAX_PER_DAY: '4' } });
    const braked = await run({
      policyFile: policy('none'),
      at: START + 180_000,
      env: { ...CAPS_OFF, CLEANUP_MAX_PER_DAY: '4' },
    });
    expect(braked.result.projects[0]).toMatchObject({ braked: true, deleted: 0 });
    expect(braked.events[0]?.brake).toMatchObject({ planned: 1, deletedToday: 4 });
  });

  it('the switch off holds every deletion and says so once per project; marks still go on', async () => {
    await run({ policyFile: policy('none'), at: START });
    const build = loadCleanupSettings({
      EVS_ENDPOINT: emulator.url,
      EVS_AUTH: 'noauth',
      SCAN_PROJECT_IDS: P,
      SCAN_POLICY_FILE: policy('none'),
      FINDINGS_TABLE: dynamo.table,
      CLEANUP_SWITCH_PARAMETER: '/evs/cleanup-switch',
      ...CAPS_OFF,
    });
    for (const value of ['off', undefined]) {
      const before = bus.received.length;
      const r = await buildCleanup(build, {
        eventBridge: createEventBridgeClient(2_000),
        now: () => START + 60_000,
        fetchSecret: async (ref) => (value === undefined ? Promise.reject(new Error(`no parameter ${ref.id}`)) : value),
      })(Date.now() + 30_000);
      expect(r.deletionsAllowed).toBe(false);
      expect(r.projects[0]).toMatchObject({ deleted: 0, refused: 4 });
      expect(bus.received.slice(before).map((e) => JSON.parse(e.Detail))).toMatchObject([
        { action: 'REFUSED', refusal: 'SWITCHED_OFF' },
      ]);
    }
    expect(present()).toHaveLength(45);
  });
});

describe('a dry run', () => {
  it('prints each planned action with its reason and changes nothing: no mark, no delete, no item, no event', async () => {
    const dry = await run({ policyFile: policy('none'), at: START, dryRun: true });
    expect(dry.lines.filter((l) => l.includes('MARKED'))).toHaveLength(4);
    expect(dry.lines[0]).toMatch(
      /^\[dry run\] a1b2c3d4e5f60718293a4b5c6d7e8f90: MARKED snapshot .* will be deleted after/,
    );
    expect(marked()).toEqual([]);
    expect(await trail()).toEqual([]);
    expect(dry.events).toEqual([]);
    await run({ policyFile: policy('none'), at: START });
    const planned = await run({ policyFile: policy('none'), at: START + 60_000, dryRun: true, env: CAPS_OFF });
    expect(planned.lines.filter((l) => l.includes('would delete'))).toHaveLength(4);
    expect(present()).toHaveLength(45);
  });
});
