import { allowedProject } from '../http/query';
import type { SnapshotTextLister } from '../upstream/client';
import { UpstreamBadResponseError } from '../upstream/errors';
import { type PageQuery, QUERY_KEYS } from '../upstream/types';
import { decodeProxyPage } from './page-body';
import { MAX_PAGE_SIZE, validateListQuery } from './validate';

export interface ProxyDeps {
  lister: SnapshotTextLister;
  allowedProjects: readonly string[] | '*';
}

export interface ListRequest {
  projectId: string | undefined;
  /** Query parameters as sent, repeats kept. */
  params: Iterable<readonly [string, string]>;
  /** The proxy's own URL for this path, no query: next links point here, version prefix and all. */
  selfUrl: string;
  /** `/snapshots/detail` rather than `/snapshots`. */
  detail?: boolean;
  /** Epoch ms by which the answer must be ready. */
  deadline?: number;
}

/** A next link to the proxy itself: the caller's filters and limit, the new marker, never `offset`. */
export function buildProxyNextLink(selfUrl: string, query: PageQuery, marker: string): string {
  const params = new URLSearchParams();
  for (const key of QUERY_KEYS) {
    if (key === 'offset') continue;
    const value = key === 'marker' ? marker : query[key];
    if (value !== undefined) params.append(key, String(value));
  }
  return `${selfUrl}?${params.toString()}`;
}

/** The answer in the EVS API's shape, with the rows as JSON text ready to send. */
export interface ListAnswer {
  snapshotsJson: string;
  nextHref: string | undefined;
  upstreamRequestId: string | undefined;
}

/**
 * The proxy's use case: check the project, validate the filters, list one upstream page (one
 * row more than the caller's page, to know whether more exist), rewrite links.
 */
export async function listSnapshotsForCaller(deps: ProxyDeps, request: ListRequest): Promise<ListAnswer> {
  const projectId = allowedProject(deps.allowedProjects, request.projectId);
  const query = validateListQuery(request.params);
  const pageSize = query.limit ?? MAX_PAGE_SIZE;
  // Never above the EVS API's maximum: EVS may refuse what Cinder would clamp.
  const askedLimit = Math.min(pageSize + 1, MAX_PAGE_SIZE);
  const { text, requestId } = await deps.lister.fetchSnapshotsText(
    projectId,
    { ...query, limit: askedLimit },
    { deadline: request.deadline, detail: request.detail },
  );
  const page = decodeProxyPage(text, requestId, pageSize, askedLimit);
  const last = page.snapshots[page.served - 1];
  if (page.more && !last) throw new UpstreamBadResponseError('a next link on an empty page', requestId);
  return {
    snapshotsJson: page.snapshotsJson,
    nextHref:
      page.more && last
        ? buildProxyNextLink(request.selfUrl, { ...query, limit: query.requestedLimit }, last.id)
        : undefined,
    upstreamRequestId: requestId,
  };
}
