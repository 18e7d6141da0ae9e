import type { ListOptions, SnapshotLister, VolumeLister } from './client';
import { PaginationError } from './errors';
import type { ListPage, PageQuery, SnapshotPage, VolumePage } from './types';

export type { ListPage } from './types';

export interface PaginateOptions extends ListOptions {
  /** Page size sent as `limit`; the upstream may clamp it. */
  pageSize?: number;
  /** Stop with a PaginationError after this many pages rather than loop forever. */
  maxPages?: number;
  /**
   * Ask for the next page while the caller works on this one. Memory then holds two pages
   * instead of one, still independent of the listing's size; the wall time of a scan becomes
   * the longer of fetching and processing instead of their sum.
   */
  prefetch?: boolean;
}

/**
 * Lazily lists every page of a Cinder-style listing (`limit` and `marker`), holding one page at
 * a time (two with `prefetch`). Follows the upstream's next marker, drops `offset` after page
 * one (Cinder copies it into every next link), and ends on an empty page or a missing next
 * link. A repeated marker, a page seen before (same first and last id and size: an upstream
 * cycling through pages while minting new markers), a page that brings no row the previous page
 * did not already have, or the page cap ends it with a PaginationError, so a caller can tell
 * "done" from "gave up". Rows the previous page already held are dropped, so an upstream
 * overlapping its pages does not list them twice. Memory stays flat: one id set of a page, one
 * short key per page.
 */
export async function* paginateList<T extends { id: string }>(
  fetchPage: (query: PageQuery) => Promise<ListPage<T>>,
  query: PageQuery = {},
  options: Pick<PaginateOptions, 'pageSize' | 'maxPages' | 'prefetch'> = {},
): AsyncGenerator<ListPage<T>, void, undefined> {
  const { pageSize = 1000, maxPages = 10_000, prefetch = false } = options;
  const seen = new Set<string>();
  const pageKeys = new Set<string>();
  let previousIds: Set<string> | undefined;
  let request: PageQuery = { ...query, limit: query.limit ?? pageSize };
  let pending: Promise<ListPage<T>> | undefined = fetchPage(request);
  for (let pageNumber = 1; pending; pageNumber++) {
    const page: ListPage<T> = await pending;
    pending = undefined;
    if (page.items.length === 0) return;
    const key = `${page.items[0]?.id}|${page.items[page.items.length - 1]?.id}|${page.items.length}`;
    if (pageKeys.has(key)) throw new PaginationError(`page ${pageNumber} repeats an earlier page`, 'repeated-page');
    pageKeys.add(key);
    const before = previousIds;
    previousIds = new Set(page.items.map((s) => s.id));
    if (before) {
      const fresh = page.items.filter((s) => !before.has(s.id));
      if (fresh.length === 0)
        throw new PaginationError(`page ${pageNumber} brought nothing the page before did not have`, 'repeated-page');
      if (fresh.length < page.items.length) page.items = fresh;
    }
    const marker = page.nextMarker;
    let stop: PaginationError | undefined;
    if (marker !== undefined) {
      if (seen.has(marker) || marker === query.marker) {
        stop = new PaginationError(`upstream repeated marker ${marker} on page ${pageNumber}`, 'repeated-marker');
      } else if (pageNumber >= maxPages) {
        stop = new PaginationError(`stopped after the page cap of ${maxPages} pages`, 'page-cap');
      } else {
        seen.add(marker);
        const { offset: _dropped, ...rest } = request;
        request = { ...rest, marker };
      }
    }
    const more = marker !== undefined && stop === undefined;
    if (more && prefetch) {
      pending = fetchPage(request);
      // If the caller stops early, the prefetched page is dropped without an unhandled rejection.
      pending.catch(() => undefined);
    }
    yield page;
    if (stop) throw stop;
    if (more && !prefetch) pending = fetchPage(request);
  }
}

/** Every page of a project's snapshots (paginateList over `GET /v2/{project_id}/snapshots`). */
export async function* paginateSnapshots(
  client: SnapshotLister,
  projectId: string,
  query: PageQuery = {},
  options: PaginateOptions = {},
): AsyncGenerator<SnapshotPage, void, undefined> {
  const { pageSize, maxPages, prefetch, ...listOptions } = options;
  const fetchPage = (q: PageQuery) =>
    client
      .listSnapshotsPage(projectId, q, listOptions)
      .then((p) => ({ items: p.snapshots, nextMarker: p.nextMarker, requestId: p.requestId }));
  for await (const page of paginateList(fetchPage, query, { pageSize, maxPages, prefetch })) {
    yield { snapshots: page.items, nextMarker: page.nextMarker, requestId: page.requestId };
  }
}

/** Every page of a project's volumes (`GET /v2/{project_id}/volumes`), with the same guards. */
export function paginateVolumes(
  client: VolumeLister,
  projectId: string,
  options: PaginateOptions & { detail?: boolean } = {},
): AsyncGenerator<VolumePage, void, undefined> {
  const { pageSize, maxPages, prefetch, detail, ...listOptions } = options;
  return paginateList(
    (q) => client.listVolumesPage(projectId, detail ? { ...q, detail } : q, listOptions),
    {},
    { pageSize, maxPages, prefetch },
  );
}
