import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNAPSHOT_STATUSES, type Snapshot } from '../../lib/domain/snapshot';
import { generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';

const PROJECT = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
let emulator: RunningEmulator;
let all: Snapshot[];

beforeAll(async () => {
  const fleet = generateFleet({ seed: 7, size: 2_400, projects: [PROJECT] });
  all = fleet.projects[0]?.snapshots ?? [];
  emulator = await startEmulator({ projects: fleet.projects, maxLimit: 1000 });
});
afterAll(() => emulator.close());

async function list(query: string, path = 'snapshots') {
  const response = await fetch(`${emulator.url}/v2/${PROJECT}/${path}?${query}`);
  return { status: response.status, body: (await response.json()) as any };
}

describe('EVS emulator behaves like Cinder', () => {
  it('orders by created_at desc, then id desc', () => {
    for (let i = 1; i < all.length; i++) {
      const a = all[i - 1] as Snapshot;
      const b = all[i] as Snapshot;
      expect(a.created_at > b.created_at || (a.created_at === b.created_at && a.id > b.id)).toBe(true);
    }
    expect(all.some((s, i) => i > 0 && s.created_at === all[i - 1]?.created_at)).toBe(true);
  });

  it('clamps limit at osapi_max_limit instead of rejecting it', async () => {
    const { status, body } = await list('limit=5000');
    expect(status).toBe(200);
    expect(body.snapshots).toHaveLength(1000);
    expect(body.snapshots_links[0].rel).toBe('next');
  });

  it('gives a full last page a next link, leading to an empty page with no links', async () => {
    const { body } = await list(`marker=${all[1399]?.id}&limit=1000`);
    expect(body.snapshots).toHaveLength(1000);
    const next = new URL(body.snapshots_links[0].href);
    const tail = await fetch(next).then((r) => r.json());
    expect(tail).toEqual({ snapshots: [] });
  });

  it('copies every parameter, offset included, into the next link (the quirk a pager must undo)', async () => {
    const { body } = await list('offset=3&limit=10&status=available');
    const next = new URL(body.snapshots_links[0].href);
    expect(Object.fromEntries(next.searchParams)).toEqual({
      offset: '3',
      limit: '10',
      status: 'available',
      marker: body.snapshots[9].id,
    });
    expect(next.origin).toBe(emulator.url);
  });

  it('leaves snapshots_links out of a page that is not full', async () => {
    const { body } = await list(`marker=${all[2390]?.id}`);
    expect(body.snapshots).toHaveLength(9);
    expect('snapshots_links' in body).toBe(false);
  });

  it('answers an unknown marker with a 404 itemNotFound fault with an integer code', async () => {
    const { status, body } = await list('marker=00000000-0000-4000-8000-000000000000');
    expect(status).toBe(404);
    expect(body).toEqual({
      itemNotFound: { message: 'Snapshot 00000000-0000-4000-8000-000000000000 could not be found.', code: 404 },
    });
  });

  it('refuses a non-integer or negative limit with a 400 badRequest fault', async () => {
    expect(await list('limit=abc')).toEqual({
      status: 400,
      body: { badRequest: { message: 'limit param must be an integer', code: 400 } },
    });
    expect((await list('limit=-1')).status).toBe(400);
  });

  it('adds the extended attributes on /snapshots/detail', async () => {
    const { body } = await list('limit=1', 'snapshots/detail');
    expect(body.snapshots[0]['os-extended-snapshot-attributes:project_id']).toBe(PROJECT);
  });
});

describe('fleet generator', () => {
  it('is deterministic and covers every status, null fields, duplicate names and automatic snapshots', () => {
    const a = generateFleet({ seed: 'x', size: 5_000, projects: 3 });
    const b = generateFleet({ seed: 'x', size: 5_000, projects: 3 });
    expect(a.projects.map((p) => p.projectId)).toEqual(b.projects.map((p) => p.projectId));
    expect(a.projects[0]?.snapshots.slice(0, 50)).toEqual(b.projects[0]?.snapshots.slice(0, 50));
    for (const p of a.projects) expect(p.projectId).toMatch(/^[0-9a-f]{32}$/);
    const snaps = a.projects.flatMap((p) => p.snapshots);
    expect(snaps).toHaveLength(5_000);
    const statuses = new Set(snaps.map((s) => s.status));
    for (const s of SNAPSHOT_STATUSES) if (s !== 'updating' && s !== 'deleted') expect(statuses).toContain(s);
    expect(snaps.some((s) => s.description === null)).toBe(true);
    expect(snaps.some((s) => s.updated_at === null)).toBe(true);
    expect(snaps.some((s) => '__system__enableActive' in s.metadata)).toBe(true);
    expect(new Set(snaps.map((s) => s.name)).size).toBeLessThan(20);
    expect(snaps.every((s) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/.test(s.created_at))).toBe(true);
  });

  it('holds only statuses real Cinder accepts when asked to be Cinder-compatible', () => {
    const cinderStatuses = new Set([
      'error',
      'available',
      'creating',
      'deleting',
      'deleted',
      'updating',
      'error_deleting',
      'unmanaging',
      'backing-up',
      'restoring',
    ]);
    const fleet = generateFleet({ seed: 3, size: 3_000, cinderCompatible: true });
    for (const s of fleet.projects.flatMap((p) => p.snapshots)) expect(cinderStatuses).toContain(s.status);
  });
});
