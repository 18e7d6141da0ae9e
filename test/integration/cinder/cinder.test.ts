import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingType } from '../../../lib/domain/finding';
import type { Snapshot } from '../../../lib/domain/snapshot';
import { DETAIL_TYPES } from '../../../lib/events/contract';
import type { WebhookBody } from '../../../lib/notify/render/webhook';
import { createFindingsStore } from '../../../lib/state/dynamo/findings-table';
import { noauthAuth } from '../../../lib/upstream/auth';
import { createEvsClient } from '../../../lib/upstream/client';
import { paginateVolumes } from '../../../lib/upstream/pager';
import { buildScanner } from '../../../lib/wiring/scanner';
import { loadScanSettings } from '../../../lib/wiring/settings/scanner';
import type { FleetProject } from '../../../tools/emulator/fleet';
import { POLICY_FLEET_RULES } from '../../../tools/emulator/policy-fleet';
import { type RunningEmulator, startEmulator } from '../../../tools/emulator/server';
import { createFindingsTable, startLocalDynamo } from '../../../tools/local/dynamodb';
import { type LocalEventBridge, startLocalEventBridge } from '../../../tools/local/eventbridge';
import { type RunningGateway, startHttpGateway } from '../../../tools/local/http-gateway';
import { importProxyHandler } from '../../helpers/handler';
import { startNotificationPath } from '../../helpers/notifier';
import { schemaErrors } from '../../helpers/schemas';
import { startScriptedServer } from '../../helpers/scripted-server';
import { startStateTable } from '../../helpers/state';

const run = promisify(execFile);
const CINDER = process.env.CINDER_URL as string;
const fleet = JSON.parse(readFileSync(process.env.CINDER_FLEET as string, 'utf8')) as {
  now: number;
  projects: FleetProject[];
  expected: Array<[string, FindingType]>;
  /** Snapshots seeded with an absurd size (1e200). */
  malformed: string[];
  /** The project laid out for the retention, coverage and system-snapshot rules (tools/emulator/policy-fleet.ts). */
  policy: {
    projectId: string;
    expected: Array<[string, FindingType]>;
    unprotected: string[];
    eightDaysOld: string;
    tenSnapshotVolumes: string[];
    systemSnapshots: string[];
  };
};
const [A, B] = fleet.projects.map((p) => p.projectId) as [string, string];
const snapshotsOf = (id: string) => fleet.projects.find((p) => p.projectId === id)?.snapshots ?? [];

// What reached Cinder itself, read from its own access log, so "refused before the upstream" is checked at Cinder.
const cinderRequests = () =>
  (readFileSync(process.env.CINDER_LOG as string, 'utf8').match(/"GET \/v[23]\//g) ?? []).length;
const settle = () => new Promise((r) => setTimeout(r, 300));

let emulator: RunningEmulator;
let viaCinder: RunningGateway;
let viaEmulator: RunningGateway;

beforeAll(async () => {
  expect(CINDER, 'CINDER_URL is set by run.sh').toBeTruthy();
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } });
  const allowed = `${A},${B}`;
  viaCinder = await startHttpGateway(
    await importProxyHandler({ EVS_ENDPOINT: CINDER, EVS_AUTH: 'noauth', ALLOWED_PROJECT_IDS: allowed }),
  );
  viaEmulator = await startHttpGateway(
    await importProxyHandler({ EVS_ENDPOINT: emulator.url, EVS_AUTH: 'noauth', ALLOWED_PROJECT_IDS: allowed }),
  );
});

afterAll(async () => {
  await Promise.all([viaCinder?.close(), viaEmulator?.close(), emulator?.close()]);
});

interface Answer {
  status: number;
  fault?: string;
  ids?: string[];
  /** The next link's path and parameters, host removed: what the link means. */
  next?: string | null;
}

async function ask(base: string, path: string): Promise<{ answer: Answer; nextHref: string | undefined }> {
  const response = await fetch(`${base}${path}`);
  const body = (await response.json()) as Record<string, any>;
  if (response.status !== 200)
    return { answer: { status: response.status, fault: Object.keys(body)[0] }, nextHref: undefined };
  const href: string | undefined = body.snapshots_links?.find((l: { rel: string }) => l.rel === 'next')?.href;
  expect(href === undefined || href.startsWith(base), `next link ${href} points back at the proxy`).toBe(true);
  const next =
    href === undefined
      ? null
      : `${new URL(href).pathname}?${[...new URL(href).searchParams]
          .sort()
          .map(([k, v]) => `${k}=${v}`)
          .join('&')}`;
  return { answer: { status: 200, ids: body.snapshots.map((s: Snapshot) => s.id), next }, nextHref: href };
}

async function followAll(base: string, path: string): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined = `${base}${path}`;
  for (let pages = 0; next; pages++) {
    expect(pages).toBeLessThan(200);
    const { answer, nextHref } = await ask(base, next.slice(base.length));
    expect(answer.status).toBe(200);
    // A next link means more rows: following one never lands on an empty page.
    if (pages > 0) expect(answer.ids?.length, `page ${pages + 1} of ${path}`).toBeGreaterThan(0);
    expect(answer.ids?.length ?? 0).toBeLessThanOrEqual(1000);
    ids.push(...(answer.ids ?? []));
    next = nextHref;
  }
  return ids;
}

const a = snapshotsOf(A);
const mid = (a[600] as Snapshot).id;
const volume = (a[17] as Snapshot).volume_id;
const statusOfVolume = (a[17] as Snapshot).status;
const enc = encodeURIComponent;

const corpus: Array<{ query: string; follow: boolean }> = [
  // 1,200 snapshots per project: a multiple of 50, 100 and 1200, not of 37, 999 or 1000.
  ...[
    '',
    'limit=50',
    'limit=100',
    'limit=37',
    'limit=999',
    'limit=1000',
    'limit=1001',
    'limit=1200',
    'limit=1500',
    'offset=10&limit=50',
    `marker=${mid}&limit=50`,
    `marker=${mid}`,
  ].map((query) => ({ query, follow: true })),
  ...['limit=1', `limit=1&marker=${mid}`, 'offset=1195', 'offset=5000', 'offset=0&limit=3'].map((query) => ({
    query,
    follow: false,
  })),
  ...[
    'available',
    'error',
    'creating',
    'deleting',
    'error_deleting',
    'backing-up',
    'restoring',
    'unmanaging',
    'deleted',
    'updating',
  ].map((s) => ({ query: `status=${s}&limit=50`, follow: true })),
  ...[
    'name=daily&limit=100',
    `name=${enc('快照-数据盘')}&limit=20`,
    'name=nightly%20build',
    'name=none-such',
    `volume_id=${volume}`,
    `volume_id=${volume}&status=${statusOfVolume}`,
    'status=available&name=weekly&limit=13',
    'status=error&offset=3&limit=5',
  ].map((query) => ({ query, follow: true })),
  ...[
    'limit=0',
    'limit=abc',
    'offset=-1',
    'status=bogus',
    'marker=not-a-uuid',
    'all_tenants=1',
    'sort=created_at',
    'marker=00000000-0000-4000-8000-000000000000',
  ].map((query) => ({ query, follow: false })),
];

describe('differential: the proxy in front of real Cinder and in front of the emulator answer alike', () => {
  it.each(corpus.flatMap((c) => [{ ...c, version: 'v2' }, ...(c.follow ? [{ ...c, version: 'v3' }] : [])]))(
    'GET /$version/{A}/snapshots?$query',
    async ({ query, follow, version }) => {
      const path = `/${version}/${A}/snapshots${query ? `?${query}` : ''}`;
      const [cinder, emulated] = await Promise.all([ask(viaCinder.url, path), ask(viaEmulator.url, path)]);
      expect(cinder.answer).toEqual(emulated.answer);
      if (follow && cinder.answer.status === 200) {
        const [all1, all2] = await Promise.all([followAll(viaCinder.url, path), followAll(viaEmulator.url, path)]);
        expect(all1).toEqual(all2);
        expect(new Set(all1).size).toBe(all1.length);
      }
    },
  );

  it('agrees on /snapshots/detail too', async () => {
    const path = `/v2/${B}/snapshots/detail?limit=25&status=available`;
    const [cinder, emulated] = await Promise.all([ask(viaCinder.url, path), ask(viaEmulator.url, path)]);
    expect(cinder.answer).toEqual(emulated.answer);
    expect(cinder.answer.next).toMatch(new RegExp(`^/v2/${B}/snapshots/detail\\?`));
  });
});

describe('the proxy in front of real Cinder', () => {
  it.each([50, 100, 37, 1000, 1200, 1500])(
    'lists each project exactly once, in Cinder order, following its next links (limit=%i)',
    async (limit) => {
      for (const project of [A, B]) {
        for (const version of ['v2', 'v3']) {
          const ids = await followAll(viaCinder.url, `/${version}/${project}/snapshots?limit=${limit}`);
          expect(ids).toEqual(snapshotsOf(project).map((s) => s.id));
        }
      }
    },
  );

  it("answers snapshots_links null when a filter's matches exactly fill the page (Cinder itself links to an empty page)", async () => {
    const daily = a.filter((s) => s.name === 'daily').length;
    expect(daily).toBeGreaterThan(0);
    const direct = (await (
      await fetch(`${CINDER}/v2/${A}/snapshots?name=daily&limit=${daily}`, {
        headers: { 'X-Auth-Token': `admin:${A}` },
      })
    ).json()) as { snapshots: unknown[]; snapshots_links?: unknown };
    expect(direct.snapshots).toHaveLength(daily);
    expect(direct.snapshots_links).toBeTruthy();
    const { answer } = await ask(viaCinder.url, `/v2/${A}/snapshots?name=daily&limit=${daily}`);
    expect(answer.ids).toHaveLength(daily);
    expect(answer.next).toBeNull();
  });

  it('refuses all_tenants, other projects and bad inputs before Cinder is called', async () => {
    await settle();
    const before = cinderRequests();
    for (const path of [
      `/v2/${A}/snapshots?all_tenants=1`,
      `/v2/${A}/snapshots?project_id=${B}`,
      '/v2/ffffffffffffffffffffffffffffffff/snapshots',
      `/v3/${A}/snapshots?limit=0`,
      `/v2/${A}/snapshots?status=available&status=error`,
    ]) {
      const response = await fetch(`${viaCinder.url}${path}`);
      expect([400, 403], path).toContain(response.status);
    }
    await settle();
    expect(cinderRequests()).toBe(before);
    // The same log does see a request the proxy lets through.
    expect((await fetch(`${viaCinder.url}/v2/${A}/snapshots?limit=1`)).status).toBe(200);
    await settle();
    expect(cinderRequests()).toBe(before + 1);
  });
});

const cinderCli = async (endpoint: string, project: string, args: string[], version = 'v2') => {
  const { stdout } = await run(
    '/usr/bin/cinder',
    [
      '--os-auth-type',
      'noauth',
      '--os-user-id',
      'admin',
      '--os-project-id',
      project,
      '--os-endpoint',
      `${endpoint}/${version}/${project}`,
      '--os-volume-api-version',
      '3',
      'snapshot-list',
      ...args,
    ],
    {
      env: { PATH: '/usr/bin:/bin' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout.split('\n').filter((l) => /^\| [0-9a-f]{8}-/.test(l));
};

const openstackCli = async (endpoint: string, project: string, args: string[]) => {
  const { stdout } = await run(
    '/usr/bin/openstack',
    [
      '--os-auth-type',
      'admin_token',
      '--os-token',
      `admin:${project}`,
      '--os-endpoint',
      `${endpoint}/v3/${project}`,
      '--os-volume-api-version',
      '3',
      'volume',
      'snapshot',
      'list',
      '-f',
      'value',
      '-c',
      'ID',
      '-c',
      'Status',
      '-c',
      'Name',
      ...args,
    ],
    { env: { PATH: '/usr/bin:/bin', HOME: '/tmp' }, maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout.split('\n').filter(Boolean);
};

const CLIENT_ARGS: string[][] = [
  [],
  ['--status', 'available'],
  ['--name', 'daily'],
  ['--limit', '7'],
  ['--limit', '1000'],
  ['--limit', '1150'],
  ['--status', 'error', '--limit', '3'],
];

describe('python-cinderclient pointed at the proxy shows what it shows pointed at Cinder', () => {
  it.each(
    CLIENT_ARGS.flatMap((args) => [
      { args, version: 'v2' },
      { args, version: 'v3' },
    ]),
  )('cinder snapshot-list $args against /$version', async ({ args, version }) => {
    const [direct, proxied] = await Promise.all([
      cinderCli(CINDER, A, args, version),
      cinderCli(viaCinder.url, A, args, version),
    ]);
    expect(direct.length).toBeGreaterThan(0);
    expect(proxied).toEqual(direct);
    if (args.length === 0) expect(proxied).toHaveLength(a.length);
    if (args[1] === '1150') expect(proxied).toHaveLength(1150);
  });

  it('cinder snapshot-list --volume-id through /v3', async () => {
    const args = ['--volume-id', volume];
    const [direct, proxied] = await Promise.all([
      cinderCli(CINDER, A, args, 'v3'),
      cinderCli(viaCinder.url, A, args, 'v3'),
    ]);
    expect(proxied).toEqual(direct);
    expect(proxied).toHaveLength(a.filter((s) => s.volume_id === volume).length);
  });
});

describe('python-openstackclient with a /v3 endpoint lists through the proxy what it lists from Cinder', () => {
  // `--volume` first looks the volume up (GET /volumes/{id}), which the snapshot proxy does not serve.
  it.each(CLIENT_ARGS)('openstack volume snapshot list %j', async (...args) => {
    const [direct, proxied] = await Promise.all([openstackCli(CINDER, A, args), openstackCli(viaCinder.url, A, args)]);
    expect(direct.length).toBeGreaterThan(0);
    expect(proxied).toEqual(direct);
    if (args.length === 0) expect(proxied).toHaveLength(a.length);
  });
});

describe('volumes, for the orphan check: the emulator lists what Cinder lists', () => {
  const volumesOf = (id: string) => fleet.projects.find((p) => p.projectId === id)?.volumes ?? [];
  const listAll = async (endpoint: string, project: string, pageSize: number) => {
    const client = createEvsClient({ endpoint, auth: noauthAuth('admin') });
    const ids: string[] = [];
    let pages = 0;
    for await (const page of paginateVolumes(client, project, { pageSize })) {
      pages++;
      ids.push(...page.items.map((v) => v.id));
    }
    return { ids, pages };
  };

  it.each([37, 100, 1000])(
    'pages every live volume, in the same order, at limit %i, and never a deleted one',
    async (pageSize) => {
      const [cinder, emulated] = await Promise.all([listAll(CINDER, A, pageSize), listAll(emulator.url, A, pageSize)]);
      expect(cinder.ids).toEqual(emulated.ids);
      expect(cinder.pages).toBe(emulated.pages);
      expect(new Set(cinder.ids)).toEqual(new Set(volumesOf(A).map((v) => v.id)));
      const deleted = fleet.projects.find((p) => p.projectId === A)?.deletedVolumes ?? [];
      expect(deleted.length).toBeGreaterThan(0);
      expect(cinder.ids.filter((id) => deleted.some((v) => v.id === id))).toEqual([]);
    },
  );

  it.each(['/v2', '/v3'])(
    'answers the first page of %s/{p}/volumes and /volumes/detail with the same ids and next link',
    async (prefix) => {
      for (const path of [`${prefix}/${A}/volumes?limit=50`, `${prefix}/${A}/volumes/detail?limit=50`]) {
        const read = async (base: string) => {
          const body = (await (
            await fetch(`${base}${path}`, { headers: { 'X-Auth-Token': `admin:${A}` } })
          ).json()) as { volumes: Array<{ id: string }>; volumes_links?: Array<{ href: string }> };
          const next = body.volumes_links?.[0]?.href;
          return { ids: body.volumes.map((v) => v.id), marker: next ? new URL(next).searchParams.get('marker') : null };
        };
        const [cinder, emulated] = await Promise.all([read(CINDER), read(emulator.url)]);
        expect(cinder.ids).toHaveLength(50);
        expect(emulated).toEqual(cinder);
      }
    },
  );
});

describe('the scanner against real Cinder', () => {
  let bus: LocalEventBridge;
  afterAll(() => bus?.close());

  it('flags exactly the snapshots the seeded data says it should', async () => {
    bus = await startLocalEventBridge();
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.url;
    Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    const config = loadScanSettings({
      EVS_ENDPOINT: CINDER,
      EVS_AUTH: 'noauth',
      EVS_REGION: 'cinder',
      SCAN_PROJECT_IDS: `${A},${B}`,
    });
    const result = await buildScanner(config, { eventBridge: new EventBridgeClient({}) })(Date.now() + 120_000);
    expect(result.ok).toBe(true);
    const events = bus.received.map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail) }));
    for (const e of events) expect(schemaErrors(e.type, e.detail)).toEqual([]);
    const found = new Map(
      events.filter((e) => e.type === DETAIL_TYPES.finding).map((e) => [e.detail.snapshot.id, e.detail.findingType]),
    );
    expect(found).toEqual(new Map(fleet.expected));
    // Orphans too: snapshots whose volume Cinder holds as deleted.
    expect([...found.values()].filter((t) => t === 'ORPHANED').length).toBeGreaterThan(5);
    const volumesOf = (id: string) => fleet.projects.find((p) => p.projectId === id)?.volumes?.length;
    expect(
      events
        .filter((e) => e.type === DETAIL_TYPES.summary)
        .map((e) => [
          e.detail.projectId,
          e.detail.complete,
          e.detail.snapshotsRead,
          e.detail.volumesRead,
          e.detail.malformedRows,
        ]),
    ).toEqual(
      expect.arrayContaining([
        [A, true, snapshotsOf(A).length, volumesOf(A), 0],
        [B, true, snapshotsOf(B).length, volumesOf(B), 1],
      ]),
    );
  });

  it('with a findings table, a snapshot Cinder lists with size 1e200 is reported as malformed: the second run announces nothing and both projects are complete', async () => {
    expect(fleet.malformed).toHaveLength(1);
    // What Cinder itself lists, before the scanner sees it.
    const seeded = snapshotsOf(B).find((s) => s.id === fleet.malformed[0]) as Snapshot;
    const direct = (await (
      await fetch(`${CINDER}/v2/${B}/snapshots?volume_id=${seeded.volume_id}`, {
        headers: { 'X-Auth-Token': `admin:${B}` },
      })
    ).json()) as { snapshots: Snapshot[] };
    expect(direct.snapshots.find((s) => s.id === seeded.id)?.size).toBe(1e200);
    const dynamo = await startStateTable();
    const local = await startLocalEventBridge();
    try {
      process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = local.url;
      const config = loadScanSettings({
        EVS_ENDPOINT: CINDER,
        EVS_AUTH: 'noauth',
        EVS_REGION: 'cinder',
        SCAN_PROJECT_IDS: `${A},${B}`,
        FINDINGS_TABLE: dynamo.table,
      });
      const runOnce = async () => {
        const from = local.received.length;
        const result = await buildScanner(config, {
          eventBridge: new EventBridgeClient({}),
          store: createFindingsStore({ tableName: dynamo.table }),
        })(Date.now() + 120_000);
        const events = local.received.slice(from).map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail) }));
        for (const e of events) expect(schemaErrors(e.type, e.detail)).toEqual([]);
        return {
          result,
          findings: events.filter((e) => e.type === DETAIL_TYPES.finding),
          summaries: events.filter((e) => e.type === DETAIL_TYPES.summary).map((e) => e.detail),
        };
      };
      const first = await runOnce();
      expect(first.result.ok).toBe(true);
      expect(first.findings).toHaveLength(fleet.expected.length);
      expect(first.findings.map((e) => e.detail.snapshot.id)).not.toContain(fleet.malformed[0]);
      const second = await runOnce();
      expect(second.result.ok).toBe(true);
      expect(second.findings).toEqual([]);
      expect(
        second.summaries.map((d) => [d.projectId, d.complete, d.malformedRows, d.opened, d.resolved, d.open]),
      ).toEqual(
        expect.arrayContaining([
          [A, true, 0, 0, 0, fleet.expected.filter(([id]) => snapshotsOf(A).some((s) => s.id === id)).length],
          [B, true, 1, 0, 0, fleet.expected.filter(([id]) => snapshotsOf(B).some((s) => s.id === id)).length],
        ]),
      );
    } finally {
      await local.close();
      await dynamo.close();
    }
  });
});

// Issue 22's acceptance on real Cinder: the scanner with a findings table, the shipped rule, the
// queue and the notifier with only ALERT_WEBHOOK_URL set, posting to a loopback receiver. Last
// in this file: it changes a snapshot's status in Cinder.
describe('notifications from a scan of real Cinder, with only ALERT_WEBHOOK_URL set', () => {
  const clock = { now: fleet.now };
  const CYCLE = 15 * 60_000;
  let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
  let hook: Awaited<ReturnType<typeof startScriptedServer>>;
  let path: Awaited<ReturnType<typeof startNotificationPath>>;

  beforeAll(async () => {
    [dynamo, hook] = await Promise.all([startLocalDynamo(), startScriptedServer(() => ({ status: 200 }))]);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    await createFindingsTable(dynamo.client, 'findings');
    path = await startNotificationPath(
      dynamo,
      { ALERT_WEBHOOK_URL: `${hook.url}/hook`, SCAN_CYCLE_MINUTES: '15' },
      clock,
    );
  });
  afterAll(async () => {
    await Promise.all([path?.close(), hook?.close()]);
    await dynamo?.close();
  });

  /** One cycle: both projects scanned (the fleet's clock stands still), the events through the queue, the schedule's run at the cycle's end. */
  const cycle = async (): Promise<WebhookBody[]> => {
    const before = hook.requests.length;
    const config = loadScanSettings({
      EVS_ENDPOINT: CINDER,
      EVS_AUTH: 'noauth',
      EVS_REGION: 'cinder',
      SCAN_PROJECT_IDS: `${A},${B}`,
      EVENT_BUS_NAME: 'sentinel',
      FINDINGS_TABLE: 'findings',
    });
    const result = await buildScanner(config, {
      eventBridge: new EventBridgeClient({ endpoint: path.bus.url }),
      now: () => fleet.now,
    })(Date.now() + 120_000);
    expect(result.ok).toBe(true);
    await path.queue.drained();
    await path.tick(CYCLE);
    return hook.requests.slice(before).map((r) => JSON.parse(r.body) as WebhookBody);
  };
  const newCount = (d: WebhookBody) => d.counts.filter((c) => c.kind === 'new').reduce((n, c) => n + c.count, 0);
  let stuck: { id: string; projectId: string } | undefined;

  it('sends one message for the first cycle, stating the counts of every high and medium finding', async () => {
    const messages = await cycle();
    const expected = fleet.expected.filter(([, type]) => type !== 'STALE').length;
    process.stderr.write(
      `first cycle on Cinder: ${fleet.projects.reduce((n, p) => n + p.snapshots.length, 0)} snapshots, ${fleet.expected.length} findings, ${messages.length} message(s), ${messages.map(newCount).join('+')} new\n`,
    );
    expect(messages).toHaveLength(1);
    expect(newCount(messages[0] as WebhookBody)).toBe(expected);
    const found = messages[0]?.findings.find((f) => f.findingType === 'STUCK');
    stuck = found && { id: found.snapshot.id, projectId: found.projectId };
    expect(stuck).toBeDefined();
  }, 180_000);

  it('sends nothing for an unchanged cycle', async () => {
    expect(await cycle()).toEqual([]);
  }, 180_000);

  it('names a STUCK snapshot that Cinder turned to error in the next cycle', async () => {
    if (!stuck) throw new Error('no STUCK snapshot in the first digest');
    const reset = await fetch(`${CINDER}/v3/${stuck.projectId}/snapshots/${stuck.id}/action`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': `admin:${stuck.projectId}` },
      body: JSON.stringify({ 'os-reset_status': { status: 'error' } }),
    });
    expect(reset.status).toBe(202);
    const messages = await cycle();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.findings.map((f) => [f.kind, f.snapshot.id, f.findingType])).toEqual([
      ['escalated', stuck.id, 'ERROR_STATUS'],
    ]);
  }, 180_000);
});

describe('policies teams keep snapshots by, against real Cinder', () => {
  const P = fleet.policy;
  const headers = {
    'X-Auth-Token': `admin:${P.projectId}`,
    'Content-Type': 'application/json',
    Accept: 'application/json',
  };
  let bus: LocalEventBridge | undefined;
  afterAll(() => bus?.close());

  it('keeps the newest 7 of each volume, never flags a backup snapshot, and opens then resolves UNPROTECTED_VOLUME when a snapshot is made through Cinder', async () => {
    const state = await startStateTable();
    try {
      bus = await startLocalEventBridge();
      process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.url;
      Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
      const policyFile = join(mkdtempSync(join(tmpdir(), 'cinder-policy-')), 'policy.yml');
      writeFileSync(policyFile, POLICY_FLEET_RULES);
      // Pages of 7: a volume's snapshots arrive over several pages, between other volumes'.
      const config = loadScanSettings({
        EVS_ENDPOINT: CINDER,
        EVS_AUTH: 'noauth',
        EVS_REGION: 'cinder',
        SCAN_PROJECT_IDS: P.projectId,
        SCAN_PAGE_SIZE: '7',
        SCAN_POLICY_FILE: policyFile,
        FINDINGS_TABLE: state.table,
      });
      const scan = async () => {
        const before = bus?.received.length ?? 0;
        const result = await buildScanner(config, {
          eventBridge: new EventBridgeClient({}),
          store: createFindingsStore({ tableName: state.table }),
        })(Date.now() + 120_000);
        expect(result.ok).toBe(true);
        const events = (bus?.received ?? [])
          .slice(before)
          .map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail) }));
        for (const e of events) expect(schemaErrors(e.type, e.detail)).toEqual([]);
        const findings = events.filter((e) => e.type === DETAIL_TYPES.finding).map((e) => e.detail);
        return { findings, summary: events.find((e) => e.type === DETAIL_TYPES.summary)?.detail };
      };

      const first = await scan();
      const bySnapshot = new Map(first.findings.filter((f) => f.snapshot).map((f) => [f.snapshot.id, f]));
      expect(new Map([...bySnapshot].map(([id, f]) => [id, f.findingType]))).toEqual(new Map(P.expected));
      for (const v of P.tenSnapshotVolumes) {
        const excess = [...bySnapshot.values()].filter((f) => f.snapshot.volume_id === v);
        expect(excess.map((f) => [f.findingType, f.snapshot.name, f.retention.rank])).toEqual([
          ['EXCESS_RETENTION', 'daily-8', 8],
          ['EXCESS_RETENTION', 'daily-9', 9],
          ['EXCESS_RETENTION', 'daily-10', 10],
        ]);
      }
      for (const id of P.systemSnapshots) expect(bySnapshot.has(id)).toBe(false);
      expect(
        first.findings
          .filter((f) => f.volume)
          .map((f) => [f.volume.id, f.transition, f.findingType])
          .sort(),
      ).toEqual(P.unprotected.map((v) => [v, 'OPENED', 'UNPROTECTED_VOLUME']).sort());
      expect(first.summary).toMatchObject({
        complete: true,
        protectedSnapshots: P.systemSnapshots.length,
        unprotectedVolumes: 2,
        opened: P.expected.length + 2,
      });

      // A snapshot of the 8-day-old volume, made through Cinder's API. Without a volume service it
      // stays `creating`, so Cinder's admin action marks it available, as the volume service would.
      const created = await fetch(`${CINDER}/v3/${P.projectId}/snapshots`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ snapshot: { volume_id: P.eightDaysOld, name: 'fresh', force: true } }),
      });
      expect(created.status, await created.clone().text()).toBe(202);
      const { snapshot } = (await created.json()) as { snapshot: { id: string } };
      const reset = await fetch(`${CINDER}/v3/${P.projectId}/snapshots/${snapshot.id}/action`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ 'os-reset_status': { status: 'available' } }),
      });
      expect(reset.status, await reset.clone().text()).toBe(202);

      const second = await scan();
      expect(second.findings.map((f) => [f.volume?.id ?? f.snapshot?.id, f.transition])).toEqual([
        [P.eightDaysOld, 'RESOLVED'],
      ]);
      expect(second.findings[0]).toMatchObject({
        findingType: 'UNPROTECTED_VOLUME',
        volume: { id: P.eightDaysOld, status: 'in-use' },
      });
      expect(second.summary).toMatchObject({ complete: true, unprotectedVolumes: 1, resolved: 1, opened: 0 });
    } finally {
      await state.close();
    }
  });
});
