import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type RunningGateway, startHttpGateway } from '../../tools/local/http-gateway';
import { OTHER_PROJECT, SAMPLE_PROJECT } from '../helpers/fleet';
import { importProxyHandler } from '../helpers/handler';

const AK = 'HPUAEXAMPLEAK0000001';
const SK = 'example-secret-key-not-real';
let fleet: Fleet;
let emulator: RunningEmulator;
let gateway: RunningGateway;

beforeAll(async () => {
  fleet = generateFleet({ seed: 'http', size: 3_000, projects: [SAMPLE_PROJECT, OTHER_PROJECT] });
  // The emulator verifies every AK/SK signature, so signing is exercised end to end.
  emulator = await startEmulator({
    projects: fleet.projects,
    auth: { mode: 'aksk', credentials: [{ ak: AK, sk: SK }] },
  });
  const handler = await importProxyHandler({
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'aksk',
    HUAWEICLOUD_SDK_AK: AK,
    HUAWEICLOUD_SDK_SK: SK,
    ALLOWED_PROJECT_IDS: `${SAMPLE_PROJECT},${OTHER_PROJECT}`,
  });
  gateway = await startHttpGateway(handler);
});

afterAll(async () => {
  await gateway?.close();
  await emulator?.close();
});

function project(id: string): Snapshot[] {
  const found = fleet.projects.find((p) => p.projectId === id);
  if (!found) throw new Error(id);
  return found.snapshots;
}

async function get(path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(path.startsWith('http') ? path : `${gateway.url}${path}`);
  return { status: response.status, body: await response.json() };
}

/** Follows the proxy's own next links to the end, returning every id seen in order. */
async function followAll(
  query: string,
  prefix = `/v2/${SAMPLE_PROJECT}/snapshots`,
): Promise<{ ids: string[]; pages: number; sizes: number[] }> {
  let url: string | undefined = `${gateway.url}${prefix}${query ? `?${query}` : ''}`;
  const sizes: number[] = [];
  const ids: string[] = [];
  let pages = 0;
  while (url) {
    const { status, body } = await get(url);
    expect(status).toBe(200);
    pages++;
    ids.push(...body.snapshots.map((s: Snapshot) => s.id));
    sizes.push(body.snapshots.length);
    // A next link always means more rows: it never leads to an empty page.
    expect(body.snapshots.length).toBeGreaterThan(0);
    const next = body.snapshots_links?.find((l: { rel: string }) => l.rel === 'next');
    if (next) {
      expect(new URL(next.href).origin).toBe(gateway.url);
      expect(new URL(next.href).pathname).toBe(prefix);
    }
    url = next?.href;
    expect(pages).toBeLessThan(500);
  }
  return { ids, pages, sizes };
}

describe('proxy over real HTTP: gateway → middy handler → signed client → emulator', () => {
  it('lists a whole project exactly once, in Cinder order, by following its own next links', async () => {
    const expected = project(SAMPLE_PROJECT).map((s) => s.id);
    const { ids, pages } = await followAll('limit=50');
    expect(ids).toEqual(expected);
    expect(new Set(ids).size).toBe(expected.length);
    // Never a link to an empty page, whether or not the fleet is a multiple of the page size.
    expect(pages).toBe(Math.ceil(expected.length / 50));
  });

  it.each([100, 37, 1500, 7, 1000, 999])(
    'never links to an empty page at limit=%i (the project holds 1,500: a multiple of some limits, not others)',
    async (limit) => {
      const expected = project(SAMPLE_PROJECT).map((s) => s.id);
      expect(expected.length).toBe(1_500);
      const { ids, pages, sizes } = await followAll(`limit=${limit}`);
      expect(ids).toEqual(expected);
      // The upstream serves at most 1000 rows, so from limit 1000 up one row is held back as proof of more.
      const page = Math.min(limit, 999);
      expect(pages).toBe(Math.ceil(expected.length / page));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(1000);
    },
  );

  it('answers a filter whose matches exactly fill the page with snapshots_links null', async () => {
    const matches = project(SAMPLE_PROJECT).filter((s) => s.name === 'daily');
    const { status, body } = await get(`/v2/${SAMPLE_PROJECT}/snapshots?name=daily&limit=${matches.length}`);
    expect(status).toBe(200);
    expect(body.snapshots).toHaveLength(matches.length);
    expect(body.snapshots_links).toBeNull();
  });

  it('answers limit above 1000 with at most 1000 rows and a next link that keeps the asked limit, as Cinder does', async () => {
    const { status, body } = await get(`/v2/${SAMPLE_PROJECT}/snapshots?limit=1500`);
    expect(status).toBe(200);
    // 1000 rows came back from the upstream with a link onwards; the 1000th is held back as the proof.
    expect(body.snapshots).toHaveLength(999);
    const next = new URL(body.snapshots_links[0].href);
    expect(next.searchParams.get('limit')).toBe('1500');
    const rest = await get(next.href);
    expect(rest.body.snapshots).toHaveLength(501);
    expect(rest.body.snapshots_links).toBeNull();
    expect([...body.snapshots, ...rest.body.snapshots].map((s: Snapshot) => s.id)).toEqual(
      project(SAMPLE_PROJECT).map((s) => s.id),
    );
  });

  it('serves /v3/{project_id}/snapshots and /detail like /v2, its links keeping the /v3 prefix', async () => {
    const v2 = await followAll('status=available&limit=200');
    const v3 = await followAll('status=available&limit=200', `/v3/${SAMPLE_PROJECT}/snapshots`);
    expect(v3.ids).toEqual(v2.ids);
    const detail = await followAll('limit=400', `/v3/${SAMPLE_PROJECT}/snapshots/detail`);
    expect(detail.ids).toEqual(project(SAMPLE_PROJECT).map((s) => s.id));
    expect((await get(`/v3/${SAMPLE_PROJECT}/snapshots?all_tenants=1`)).status).toBe(400);
    expect((await get(`/v3/11111111111111111111111111111111/snapshots`)).status).toBe(403);
  });

  it('drops offset from next links, so offset paging neither skips nor repeats', async () => {
    const expected = project(SAMPLE_PROJECT)
      .slice(7)
      .map((s) => s.id);
    const { ids } = await followAll('offset=7&limit=100');
    expect(ids).toEqual(expected);
  });

  it.each([
    ['status', (s: Snapshot) => s.status === 'available', 'status=available'],
    ['status backing-up', (s: Snapshot) => s.status === 'backing-up', 'status=backing-up'],
    ['name with unicode', (s: Snapshot) => s.name === '快照-数据盘', `name=${encodeURIComponent('快照-数据盘')}`],
    ['name with a space', (s: Snapshot) => s.name === 'nightly build', 'name=nightly%20build'],
  ])('filters by %s exactly, across pages', async (_label, predicate, query) => {
    const expected = project(SAMPLE_PROJECT)
      .filter(predicate)
      .map((s) => s.id);
    expect(expected.length).toBeGreaterThan(0);
    const { ids } = await followAll(`${query}&limit=37`);
    expect(ids).toEqual(expected);
  });

  it('filters by volume_id, and by volume_id with status combined', async () => {
    const all = project(SAMPLE_PROJECT);
    const volume = (all[10] as Snapshot).volume_id;
    expect((await followAll(`volume_id=${volume}`)).ids).toEqual(
      all.filter((s) => s.volume_id === volume).map((s) => s.id),
    );
    const status = (all[10] as Snapshot).status;
    expect((await followAll(`volume_id=${volume}&status=${status}&limit=1`)).ids).toEqual(
      all.filter((s) => s.volume_id === volume && s.status === status).map((s) => s.id),
    );
  });

  it('starts after a marker from the middle of the list', async () => {
    const all = project(SAMPLE_PROJECT);
    const { status, body } = await get(`/v2/${SAMPLE_PROJECT}/snapshots?marker=${(all[99] as Snapshot).id}&limit=5`);
    expect(status).toBe(200);
    expect(body.snapshots.map((s: Snapshot) => s.id)).toEqual(all.slice(100, 105).map((s) => s.id));
  });

  it('serves /snapshots/detail with the extended attributes, paging like the list', async () => {
    const { status, body } = await get(`/v2/${SAMPLE_PROJECT}/snapshots/detail?limit=3`);
    expect(status).toBe(200);
    expect(body.snapshots.map((s: Snapshot) => s.id)).toEqual(
      project(SAMPLE_PROJECT)
        .slice(0, 3)
        .map((s) => s.id),
    );
    expect(body.snapshots[0]['os-extended-snapshot-attributes:project_id']).toBe(SAMPLE_PROJECT);
    expect(new URL(body.snapshots_links[0].href).pathname).toBe(`/v2/${SAMPLE_PROJECT}/snapshots/detail`);
  });

  it('answers GET / with its own version document pointing at itself', async () => {
    const response = await fetch(`${gateway.url}/`);
    expect(response.status).toBe(300);
    const body = (await response.json()) as {
      versions: Array<{ id: string; version: string; links: Array<{ href: string }> }>;
    };
    expect(body.versions.map((v) => [v.id, v.version])).toEqual([
      ['v3.0', '3.0'],
      ['v2.0', ''],
    ]);
    expect(body.versions[0]?.links[0]?.href).toBe(`${gateway.url}/v3/`);
    expect(body.versions[1]?.links[0]?.href).toBe(`${gateway.url}/v2/`);
  });

  it('answers each bad input with a seed-shaped 400 before calling the upstream', async () => {
    const before = emulator.listRequests;
    for (const query of [
      'limit=0',
      'limit=x',
      'offset=-1',
      `name=${'n'.repeat(256)}`,
      'status=broken',
      'marker=nope',
      'volume_id=1',
      'all_tenants=1',
      'sort=name',
      'limit=1&limit=2',
    ]) {
      const { status, body } = await get(`/v2/${SAMPLE_PROJECT}/snapshots?${query}`);
      expect(status, query).toBe(400);
      expect(Object.keys(body), query).toEqual(['badRequest']);
      expect(typeof body.badRequest.message).toBe('string');
      expect(typeof body.badRequest.code).toBe('string');
    }
    expect((await get('/v2/..%2F..%2Fadmin/snapshots')).status).toBe(400);
    expect(emulator.listRequests).toBe(before);
  });

  it('maps a wrong secret key to 502 after exactly one upstream attempt', async () => {
    const handler = await importProxyHandler({
      EVS_ENDPOINT: emulator.url,
      EVS_AUTH: 'aksk',
      HUAWEICLOUD_SDK_AK: AK,
      HUAWEICLOUD_SDK_SK: 'wrong',
      ALLOWED_PROJECT_IDS: SAMPLE_PROJECT,
    });
    const wrong = await startHttpGateway(handler);
    try {
      const before = emulator.listRequests;
      const response = await fetch(`${wrong.url}/v2/${SAMPLE_PROJECT}/snapshots?limit=1`);
      const text = await response.text();
      expect(response.status).toBe(502);
      expect(JSON.parse(text).computeFault.code).toBe('UPSTREAM_AUTH_FAILED');
      expect(text).not.toContain('wrong');
      expect(emulator.listRequests).toBe(before);
    } finally {
      await wrong.close();
    }
  });

  it('maps an unreachable upstream to 502 UPSTREAM_UNAVAILABLE', async () => {
    const handler = await importProxyHandler({
      EVS_ENDPOINT: 'http://127.0.0.1:9',
      EVS_AUTH: 'noauth',
      ALLOWED_PROJECT_IDS: '*',
      EVS_RETRY_BASE_MS: '1',
    });
    const down = await startHttpGateway(handler);
    try {
      const response = await fetch(`${down.url}/v2/${SAMPLE_PROJECT}/snapshots`);
      expect(response.status).toBe(502);
      expect(await response.json()).toEqual({
        computeFault: { code: 'UPSTREAM_UNAVAILABLE', message: 'The upstream could not be reached.' },
      });
    } finally {
      await down.close();
    }
  });

  it('answers 500 PROXY_MISCONFIGURED, not a crash, when ALLOWED_PROJECT_IDS is unset', async () => {
    const handler = await importProxyHandler({ EVS_ENDPOINT: emulator.url, EVS_AUTH: 'noauth' });
    const misconfigured = await startHttpGateway(handler);
    try {
      const response = await fetch(`${misconfigured.url}/v2/${SAMPLE_PROJECT}/snapshots`);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        computeFault: { code: 'PROXY_MISCONFIGURED', message: 'The proxy is misconfigured; its logs say how.' },
      });
    } finally {
      await misconfigured.close();
    }
  });
});
