import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import type { SnapshotLister } from '../../lib/upstream/client';
import { PaginationError } from '../../lib/upstream/errors';
import { paginateSnapshots } from '../../lib/upstream/pager';
import type { PageQuery, SnapshotPage } from '../../lib/upstream/types';

function snap(id: string): Snapshot {
  return {
    id,
    status: 'available',
    name: id,
    description: null,
    created_at: '2026-01-01T00:00:00.000000',
    updated_at: null,
    metadata: {},
    volume_id: 'v',
    size: 1,
  };
}

/** A scripted upstream that records every query it was asked. */
function scripted(pages: Array<Partial<SnapshotPage> & { ids: string[] }>): SnapshotLister & { calls: PageQuery[] } {
  const calls: PageQuery[] = [];
  return {
    calls,
    async listSnapshotsPage(_projectId, query) {
      calls.push({ ...query });
      const page = pages[calls.length - 1];
      if (!page) throw new Error(`unexpected call ${calls.length}`);
      return { snapshots: page.ids.map(snap), nextMarker: page.nextMarker, requestId: undefined };
    },
  };
}

async function collect(lister: SnapshotLister, query: PageQuery = {}, options = {}): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of paginateSnapshots(lister, 'p', query, options)) ids.push(...page.snapshots.map((s) => s.id));
  return ids;
}

/** Collects what the pager yielded before it stopped, and how it stopped. */
async function collectUntilError(lister: SnapshotLister, options = {}): Promise<{ ids: string[]; error: unknown }> {
  const ids: string[] = [];
  try {
    for await (const page of paginateSnapshots(lister, 'p', {}, options)) ids.push(...page.snapshots.map((s) => s.id));
  } catch (error) {
    return { ids, error };
  }
  return { ids, error: undefined };
}

describe('snapshot pager', () => {
  it('stops on an upstream that returns the same snapshots under fresh markers, yielding them once', async () => {
    const lister = scripted([
      { ids: ['a', 'b', 'c'], nextMarker: 'm1' },
      { ids: ['a', 'b', 'c'], nextMarker: 'm2' },
    ]);
    const { ids, error } = await collectUntilError(lister, { pageSize: 3 });
    expect(ids).toEqual(['a', 'b', 'c']);
    expect(error).toBeInstanceOf(PaginationError);
    expect((error as PaginationError).code).toBe('PAGINATION_LOOP');
  });

  it('stops on an upstream cycling through two pages with fresh markers, before yielding a page again', async () => {
    const lister = scripted([
      { ids: ['a', 'b'], nextMarker: 'm1' },
      { ids: ['c', 'd'], nextMarker: 'm2' },
      { ids: ['a', 'b'], nextMarker: 'm3' },
    ]);
    const { ids, error } = await collectUntilError(lister, { pageSize: 2 });
    expect(ids).toEqual(['a', 'b', 'c', 'd']);
    expect((error as PaginationError).reason).toBe('repeated-page');
  });

  it('drops snapshots the previous page already held, so overlapping pages list each once', async () => {
    const lister = scripted([
      { ids: ['a', 'b', 'c'], nextMarker: 'c' },
      { ids: ['c', 'd', 'e'], nextMarker: 'e' },
      { ids: ['f'] },
    ]);
    expect(await collect(lister, {}, { pageSize: 3 })).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('follows next markers and stops at the empty page after a full last page', async () => {
    const lister = scripted([{ ids: ['a', 'b'], nextMarker: 'b' }, { ids: ['c', 'd'], nextMarker: 'd' }, { ids: [] }]);
    expect(await collect(lister, {}, { pageSize: 2 })).toEqual(['a', 'b', 'c', 'd']);
    expect(lister.calls).toEqual([{ limit: 2 }, { limit: 2, marker: 'b' }, { limit: 2, marker: 'd' }]);
  });

  it('stops when a page has no next link', async () => {
    const lister = scripted([{ ids: ['a', 'b'], nextMarker: 'b' }, { ids: ['c'] }]);
    expect(await collect(lister)).toEqual(['a', 'b', 'c']);
    expect(lister.calls).toHaveLength(2);
  });

  it('sends offset on the first page only', async () => {
    const lister = scripted([{ ids: ['c', 'd'], nextMarker: 'd' }, { ids: ['e'] }]);
    await collect(lister, { offset: 2, status: 'available' }, { pageSize: 2 });
    expect(lister.calls).toEqual([
      { offset: 2, status: 'available', limit: 2 },
      { status: 'available', limit: 2, marker: 'd' },
    ]);
  });

  it('fails with a PaginationError when the upstream repeats a marker, after yielding what it had', async () => {
    const lister = scripted([
      { ids: ['a'], nextMarker: 'a' },
      { ids: ['b'], nextMarker: 'a' },
    ]);
    const ids: string[] = [];
    const run = async () => {
      for await (const page of paginateSnapshots(lister, 'p', {}, { pageSize: 1 }))
        ids.push(...page.snapshots.map((s) => s.id));
    };
    await expect(run()).rejects.toMatchObject({ name: 'PaginationError', reason: 'repeated-marker' });
    expect(ids).toEqual(['a', 'b']);
    expect(lister.calls).toHaveLength(2);
  });

  it('fails with a PaginationError at the page cap instead of paging forever', async () => {
    const lister = scripted(Array.from({ length: 5 }, (_, i) => ({ ids: [`s${i}`], nextMarker: `s${i}` })));
    await expect(collect(lister, {}, { pageSize: 1, maxPages: 3 })).rejects.toBeInstanceOf(PaginationError);
    expect(lister.calls).toHaveLength(3);
  });

  it('with prefetch, asks for the next page before the caller has finished with this one, and still stops right', async () => {
    const lister = scripted([{ ids: ['a'], nextMarker: 'a' }, { ids: ['b'], nextMarker: 'b' }, { ids: [] }]);
    const callsWhenYielded: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateSnapshots(lister, 'p', { offset: 1 }, { pageSize: 1, prefetch: true })) {
      callsWhenYielded.push(lister.calls.length);
      ids.push(...page.snapshots.map((s) => s.id));
    }
    expect(ids).toEqual(['a', 'b']);
    expect(callsWhenYielded).toEqual([2, 3]);
    expect(lister.calls).toEqual([
      { offset: 1, limit: 1 },
      { limit: 1, marker: 'a' },
      { limit: 1, marker: 'b' },
    ]);
  });

  it('with prefetch, a repeated marker still ends with a PaginationError and no further request', async () => {
    const lister = scripted([
      { ids: ['a'], nextMarker: 'a' },
      { ids: ['b'], nextMarker: 'a' },
    ]);
    await expect(collect(lister, {}, { pageSize: 1, prefetch: true })).rejects.toMatchObject({
      reason: 'repeated-marker',
    });
    expect(lister.calls).toHaveLength(2);
  });

  it('reads pages lazily: a consumer that stops early asks for no more pages', async () => {
    const lister = scripted([
      { ids: ['a'], nextMarker: 'a' },
      { ids: ['b'], nextMarker: 'b' },
    ]);
    for await (const page of paginateSnapshots(lister, 'p')) {
      expect(page.snapshots[0]?.id).toBe('a');
      break;
    }
    expect(lister.calls).toHaveLength(1);
  });
});
