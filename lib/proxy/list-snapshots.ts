import type { SnapshotLister } from '../evs/client';
import { type PageQuery, QUERY_KEYS, type SnapshotListBody } from '../evs/types';
import { ProxyError } from './errors';
import { validateListQuery, validateProjectId } from './validate';

export interface ProxyDeps {
  lister: SnapshotLister;
  allowedProjects: readonly string[] | '*';
}

export interface ListRequest {
  projectId: string | undefined;
  /** Query parameters as sent, repeats kept. */
  params: Iterable<readonly [string, string]>;
  /** The proxy's own URL for this path, no query: next links point here. */
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

export interface ListAnswer {
  body: SnapshotListBody;
  /** The upstream's text of `body.snapshots`, to send without serialising it again. */
  rawSnapshots?: string | undefined;
}

/** The proxy's use case: check the project, validate the filters, list one upstream page, rewrite links. */
export async function listSnapshotsForCaller(deps: ProxyDeps, request: ListRequest): Promise<ListAnswer> {
  const projectId = validateProjectId(request.projectId);
  if (deps.allowedProjects !== '*' && !deps.allowedProjects.includes(projectId)) {
    throw new ProxyError(403, 'PROJECT_NOT_ALLOWED', `Project ${projectId} is not served by this proxy.`);
  }
  const query = validateListQuery(request.params);
  const page = await deps.lister.listSnapshotsPage(projectId, query, { deadline: request.deadline, detail: request.detail });
  return {
    body: {
      snapshots: page.snapshots,
      snapshots_links:
        page.nextMarker === undefined ? null : [{ rel: 'next', href: buildProxyNextLink(request.selfUrl, query, page.nextMarker) }],
    },
    rawSnapshots: page.rawSnapshots,
  };
}
