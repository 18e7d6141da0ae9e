import type { ListOptions, SnapshotLister } from './client';
import { PaginationError } from './errors';
import type { PageQuery, SnapshotPage } from './types';

export interface PaginateOptions extends ListOptions {
  /** Page size sent as `limit`; the upstream may clamp it. */
  pageSize?: number;
  /** Stop with a PaginationError after this many pages rather than loop forever. */
  maxPages?: number;
}

/**
 * Lazily lists every page of a project's snapshots, holding one page at a time.
 * Follows the upstream's next marker, drops `offset` after page one (Cinder copies it into
 * every next link), and ends on an empty page or a missing next link. A repeated marker or
 * the page cap ends it with a PaginationError, so a caller can tell "done" from "gave up".
 */
export async function* paginateSnapshots(
  client: SnapshotLister,
  projectId: string,
  query: PageQuery = {},
  options: PaginateOptions = {},
): AsyncGenerator<SnapshotPage, void, undefined> {
  const { pageSize = 1000, maxPages = 10_000, ...listOptions } = options;
  const seen = new Set<string>();
  let next: PageQuery = { ...query, limit: query.limit ?? pageSize };
  for (let pageNumber = 1; ; pageNumber++) {
    const page = await client.listSnapshotsPage(projectId, next, listOptions);
    if (page.snapshots.length === 0) return;
    yield page;
    const marker = page.nextMarker;
    if (marker === undefined) return;
    if (seen.has(marker) || marker === query.marker) {
      throw new PaginationError(`upstream repeated marker ${marker} on page ${pageNumber}`, 'repeated-marker');
    }
    if (pageNumber >= maxPages) {
      throw new PaginationError(`stopped after the page cap of ${maxPages} pages`, 'page-cap');
    }
    seen.add(marker);
    const { offset: _dropped, ...rest } = next;
    next = { ...rest, marker };
  }
}
