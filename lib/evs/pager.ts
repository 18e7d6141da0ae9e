import type { ListOptions, SnapshotLister } from './client';
import { PaginationError } from './errors';
import type { PageQuery, SnapshotPage } from './types';

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
 * Lazily lists every page of a project's snapshots, holding one page at a time (two with
 * `prefetch`). Follows the upstream's next marker, drops `offset` after page one (Cinder copies
 * it into every next link), and ends on an empty page or a missing next link. A repeated marker,
 * a page seen before (same first and last id and size: an upstream cycling through pages while
 * minting new markers), a page that brings no snapshot the previous page did not already have,
 * or the page cap ends it with a PaginationError, so a caller can tell "done" from "gave up".
 * Snapshots the previous page already held are dropped, so an upstream overlapping its pages
 * does not list them twice. Memory stays flat: one id set of a page, one short key per page.
 */
export async function* paginateSnapshots(
  client: SnapshotLister,
  projectId: string,
  query: PageQuery = {},
  options: PaginateOptions = {},
): AsyncGenerator<SnapshotPage, void, undefined> {
  const { pageSize = 1000, maxPages = 10_000, prefetch = false, ...listOptions } = options;
  const seen = new Set<string>();
  const pageKeys = new Set<string>();
  let previousIds: Set<string> | undefined;
  let request: PageQuery = { ...query, limit: query.limit ?? pageSize };
  let pending: Promise<SnapshotPage> | undefined = client.listSnapshotsPage(projectId, request, listOptions);
  for (let pageNumber = 1; pending; pageNumber++) {
    const page: SnapshotPage = await pending;
    pending = undefined;
    if (page.snapshots.length === 0) return;
    const key = `${page.snapshots[0]?.id}|${page.snapshots[page.snapshots.length - 1]?.id}|${page.snapshots.length}`;
    if (pageKeys.has(key)) throw new PaginationError(`page ${pageNumber} repeats an earlier page`, 'repeated-page');
    pageKeys.add(key);
    const before = previousIds;
    previousIds = new Set(page.snapshots.map((s) => s.id));
    if (before) {
      const fresh = page.snapshots.filter((s) => !before.has(s.id));
      if (fresh.length === 0) throw new PaginationError(`page ${pageNumber} brought no snapshot the page before did not have`, 'repeated-page');
      if (fresh.length < page.snapshots.length) page.snapshots = fresh;
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
      pending = client.listSnapshotsPage(projectId, request, listOptions);
      // If the caller stops early, the prefetched page is dropped without an unhandled rejection.
      pending.catch(() => undefined);
    }
    yield page;
    if (stop) throw stop;
    if (more && !prefetch) pending = client.listSnapshotsPage(projectId, request, listOptions);
  }
}
