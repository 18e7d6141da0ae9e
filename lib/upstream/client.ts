import { isProjectId } from '../domain/project';
import type { Snapshot } from '../domain/snapshot';
import type { AuthStrategy } from './auth';
import {
  DeadlineExceededError,
  normaliseUpstreamError,
  UpstreamBadResponseError,
  UpstreamHttpError,
  UpstreamNetworkError,
  UpstreamTimeoutError,
} from './errors';
import { DEFAULT_RETRY, type RetryClock, type RetryOptions, retryIdempotent, systemClock } from './retry';
import {
  BodyTooLargeError,
  type HttpTransport,
  nodeHttpTransport,
  type TransportResponse,
  TransportTimeoutError,
} from './transport';
import type { PageQuery, PageText, SnapshotLink, SnapshotPage, VolumePage, VolumeRef } from './types';
import { QUERY_KEYS } from './types';
import { safeRequestId } from './untrusted';

export interface EvsClientOptions {
  /** Service root, e.g. `https://evs.cn-north-4.myhuaweicloud.com` or `http://127.0.0.1:8776`. */
  endpoint: string;
  auth: AuthStrategy;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Defaults to node:http(s) with keep-alive agents. */
  transport?: HttpTransport;
  clock?: RetryClock;
}

export interface ListOptions {
  /** Epoch ms after which no attempt is started or kept running (the Lambda's remaining time). */
  deadline?: number;
  /** List `/snapshots/detail` instead of `/snapshots`. */
  detail?: boolean;
}

/** The narrow shape the pager and scanner depend on: one decoded page. */
export interface SnapshotLister {
  listSnapshotsPage(projectId: string, query: PageQuery, options?: ListOptions): Promise<SnapshotPage>;
}

/** The narrow shape the orphan check depends on: one page of a project's volumes. */
export interface VolumeLister {
  /** `detail`: `/volumes/detail`, whose rows carry status, size and created_at (volume coverage reads them). */
  listVolumesPage(
    projectId: string,
    query: Pick<PageQuery, 'marker' | 'limit'> & { detail?: boolean },
    options?: ListOptions,
  ): Promise<VolumePage>;
}

/**
 * What the remediation function alone does to a snapshot: read it, mark it, delete it
 * (`GET`, `POST .../metadata`, `DELETE` on `/v2/{project_id}/snapshots/{snapshot_id}`).
 */
export interface SnapshotRemediator {
  /** The snapshot as the upstream shows it now; undefined when it is gone (404). */
  getSnapshot(projectId: string, snapshotId: string, options?: ListOptions): Promise<Snapshot | undefined>;
  /** Adds or replaces these metadata keys (others are kept); the snapshot's metadata afterwards. */
  setSnapshotMetadata(
    projectId: string,
    snapshotId: string,
    metadata: Record<string, string>,
    options?: ListOptions,
  ): Promise<Record<string, string>>;
  /** Asks the upstream to delete the snapshot (202). One attempt: whether it happened is read back with getSnapshot. */
  deleteSnapshot(projectId: string, snapshotId: string, options?: ListOptions): Promise<void>;
}

/** The URL of one snapshot, or of one of its sub-resources. */
export function buildSnapshotUrl(endpoint: string, projectId: string, snapshotId: string, sub = ''): string {
  return `${endpoint.replace(/\/+$/, '')}/v2/${encodeURIComponent(projectId)}/snapshots/${encodeURIComponent(snapshotId)}${sub}`;
}

/** Reads `{"snapshot": {...}}`: a snapshot with a string id and status, or a bad response. */
export function parseSnapshotBody(text: string, requestId: string | undefined): Snapshot {
  const body = parseUpstreamJson(text, requestId) as { snapshot?: unknown } | null;
  const snapshot = body && typeof body === 'object' ? body.snapshot : undefined;
  if (
    !snapshot ||
    typeof snapshot !== 'object' ||
    typeof (snapshot as Snapshot).id !== 'string' ||
    typeof (snapshot as Snapshot).status !== 'string'
  )
    throw new UpstreamBadResponseError('no "snapshot" object with a string id and status', requestId);
  return snapshot as Snapshot;
}

/** Reads `{"metadata": {...}}` with string values. */
export function parseMetadataBody(text: string, requestId: string | undefined): Record<string, string> {
  const body = parseUpstreamJson(text, requestId) as { metadata?: unknown } | null;
  const metadata = body && typeof body === 'object' ? body.metadata : undefined;
  if (
    !metadata ||
    typeof metadata !== 'object' ||
    Array.isArray(metadata) ||
    Object.values(metadata).some((v) => typeof v !== 'string')
  )
    throw new UpstreamBadResponseError('no "metadata" object of strings', requestId);
  return metadata as Record<string, string>;
}

/** A project as Keystone's `GET /v3/auth/projects` (and Huawei IAM's) lists it. */
export interface DiscoveredProject {
  id: string;
  name: string;
  enabled: boolean;
}

/** The narrow shape the dispatcher depends on: the projects the credential can see. */
export interface ProjectDiscoverer {
  listProjects(identityEndpoint: string, options?: ListOptions): Promise<DiscoveredProject[]>;
}

/** Reads one `/v3/auth/projects` page; anything else is an error, never an empty list. */
export function parseProjectsBody(
  text: string,
  requestId: string | undefined,
): { projects: DiscoveredProject[]; next: string | undefined } {
  const body = parseUpstreamJson(text, requestId) as { projects?: unknown; links?: { next?: unknown } } | null;
  if (!body || typeof body !== 'object' || !Array.isArray(body.projects))
    throw new UpstreamBadResponseError('no "projects" array in the project list', requestId);
  const projects = body.projects.map((p: unknown) => {
    const item = p as { id?: unknown; name?: unknown; enabled?: unknown };
    if (!item || typeof item.id !== 'string' || !isProjectId(item.id))
      throw new UpstreamBadResponseError('a listed project has no usable id', requestId);
    return { id: item.id, name: typeof item.name === 'string' ? item.name : '', enabled: item.enabled !== false };
  });
  const next = typeof body.links?.next === 'string' && body.links.next ? body.links.next : undefined;
  return { projects, next };
}

/** The narrow shape the proxy depends on: one page as the upstream wrote it. */
export interface SnapshotTextLister {
  fetchSnapshotsText(projectId: string, query: PageQuery, options?: ListOptions): Promise<PageText>;
}

/** Builds the upstream list URL with query keys in a fixed order. */
export function buildListUrl(
  endpoint: string,
  projectId: string,
  query: PageQuery,
  detail = false,
  resource: 'snapshots' | 'volumes' = 'snapshots',
): string {
  const root = endpoint.replace(/\/+$/, '');
  const params = new URLSearchParams();
  for (const key of QUERY_KEYS) {
    const value = query[key];
    if (value !== undefined) params.append(key, String(value));
  }
  const qs = params.toString();
  return `${root}/v2/${encodeURIComponent(projectId)}/${resource}${detail ? '/detail' : ''}${qs ? `?${qs}` : ''}`;
}

/** The next link of a `snapshots_links` value, if it has one. */
export function findNextLink(links: unknown): SnapshotLink | undefined {
  if (!Array.isArray(links)) return undefined;
  return links.find(
    (l): l is SnapshotLink =>
      !!l &&
      typeof l === 'object' &&
      (l as SnapshotLink).rel === 'next' &&
      typeof (l as SnapshotLink).href === 'string',
  );
}

function markerOf(href: string): string | undefined {
  try {
    return new URL(href, 'http://upstream.invalid').searchParams.get('marker') ?? undefined;
  } catch {
    return undefined;
  }
}

/** Checks a parsed list body: a `snapshots` array of objects with string ids, no more of them than asked for. */
export function checkListBody(body: unknown, requestId: string | undefined, limit: number | undefined): Snapshot[] {
  const snapshots =
    body && typeof body === 'object' && !Array.isArray(body) ? (body as { snapshots?: unknown }).snapshots : undefined;
  if (!Array.isArray(snapshots)) throw new UpstreamBadResponseError('no "snapshots" array', requestId);
  for (const item of snapshots) {
    if (
      !item ||
      typeof item !== 'object' ||
      typeof (item as Snapshot).id !== 'string' ||
      typeof (item as Snapshot).status !== 'string'
    ) {
      throw new UpstreamBadResponseError('a snapshot without a string id and status', requestId);
    }
  }
  if (limit !== undefined && snapshots.length > limit) {
    throw new UpstreamBadResponseError(`${snapshots.length} snapshots on a page of at most ${limit}`, requestId);
  }
  return snapshots as Snapshot[];
}

/** JSON.parse for an upstream body: text that is not JSON is a bad response. */
export function parseUpstreamJson(text: string, requestId: string | undefined): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UpstreamBadResponseError('body is not JSON', requestId);
  }
}

/** Parses a 2xx list body; anything not of the EVS API's shape is an error, not an empty page. */
export function parseListBody(text: string, requestId: string | undefined, limit?: number): SnapshotPage {
  const body = parseUpstreamJson(text, requestId);
  const snapshots = checkListBody(body, requestId, limit);
  const next = findNextLink((body as { snapshots_links?: unknown }).snapshots_links);
  const last = snapshots[snapshots.length - 1];
  return { snapshots, nextMarker: next ? (markerOf(next.href) ?? last?.id) : undefined, requestId };
}

/**
 * Parses a 2xx volume list body (`{"volumes": [...], "volumes_links": [...]}`, EVS's and Cinder's
 * summary list). Anything else is an error, never an empty list: an empty list would make every
 * snapshot of the project look orphaned.
 */
export function parseVolumeListBody(text: string, requestId: string | undefined, limit?: number): VolumePage {
  const body = parseUpstreamJson(text, requestId);
  const volumes =
    body && typeof body === 'object' && !Array.isArray(body) ? (body as { volumes?: unknown }).volumes : undefined;
  if (!Array.isArray(volumes)) throw new UpstreamBadResponseError('no "volumes" array', requestId);
  for (const item of volumes) {
    if (
      !item ||
      typeof item !== 'object' ||
      typeof (item as VolumeRef).id !== 'string' ||
      (item as VolumeRef).id === ''
    )
      throw new UpstreamBadResponseError('a volume without a string id', requestId);
  }
  if (limit !== undefined && volumes.length > limit)
    throw new UpstreamBadResponseError(`${volumes.length} volumes on a page of at most ${limit}`, requestId);
  const next = findNextLink((body as { volumes_links?: unknown }).volumes_links);
  const last = volumes[volumes.length - 1] as VolumeRef | undefined;
  return { items: volumes as VolumeRef[], nextMarker: next ? (markerOf(next.href) ?? last?.id) : undefined, requestId };
}

/** An EVS/Cinder snapshot list client: one page per call, authorised, timed out and retried. */
export function createEvsClient(
  options: EvsClientOptions,
): SnapshotLister & SnapshotTextLister & ProjectDiscoverer & VolumeLister & SnapshotRemediator {
  const transport = options.transport ?? nodeHttpTransport();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retry = options.retry ?? DEFAULT_RETRY;
  const clock = options.clock ?? systemClock;

  async function attemptOnce(
    url: string,
    projectId: string,
    budgetMs: number,
    method: 'GET' | 'POST' | 'DELETE' = 'GET',
    body?: string,
  ): Promise<PageText> {
    const limitMs = Math.max(1, Math.min(timeoutMs, budgetMs));
    const authHeaders = await options.auth.headers(
      { method, url, projectId, ...(body !== undefined ? { body } : {}), deadline: clock.now() + limitMs },
      new Date(clock.now()),
    );
    const headers = { Accept: 'application/json', ...authHeaders };
    let response: TransportResponse;
    try {
      if (method !== 'GET' && !transport.send) throw new Error(`this transport cannot send ${method}`);
      response =
        method === 'GET'
          ? await transport.get(url, headers, limitMs)
          : await (transport.send as NonNullable<HttpTransport['send']>)(method, url, headers, body, limitMs);
    } catch (error) {
      if (error instanceof TransportTimeoutError) {
        const timeout = new UpstreamTimeoutError(limitMs, error);
        // Cut short by the caller's deadline rather than by our own timeout: say so.
        throw budgetMs < timeoutMs ? new DeadlineExceededError(timeout) : timeout;
      }
      if (error instanceof BodyTooLargeError) throw new UpstreamBadResponseError(error.message, undefined);
      throw new UpstreamNetworkError(error);
    }
    const secrets = options.auth.secrets?.() ?? [];
    const safeId =
      safeRequestId(response.header('x-request-id'), secrets) ??
      safeRequestId(response.header('x-openstack-request-id'), secrets);
    if (response.status >= 300 && response.status < 400) {
      // Never followed: a redirect would carry signed credentials to wherever it points.
      throw new UpstreamBadResponseError(`redirect (HTTP ${response.status})`, safeId, response.status);
    }
    if (response.status < 200 || response.status >= 300) {
      throw normaliseUpstreamError(
        response.status,
        response.body,
        { get: (name) => response.header(name) ?? null },
        clock.now(),
      ).scrub(secrets);
    }
    return { text: response.body, requestId: safeId };
  }

  async function fetchText(projectId: string, query: PageQuery, listOptions: ListOptions = {}): Promise<PageText> {
    return fetchUrl(buildListUrl(options.endpoint, projectId, query, listOptions.detail), projectId, listOptions);
  }

  async function fetchUrl(
    url: string,
    projectId: string,
    listOptions: ListOptions,
    method: 'GET' | 'POST' | 'DELETE' = 'GET',
    body?: string,
    attempts = retry.maxAttempts,
  ): Promise<PageText> {
    const deadline =
      listOptions.deadline ?? clock.now() + timeoutMs * retry.maxAttempts + retry.maxDelayMs * retry.maxAttempts;
    const run = () =>
      retryIdempotent(
        (budget) => attemptOnce(url, projectId, budget, method, body),
        { ...retry, maxAttempts: attempts },
        deadline,
        clock,
      );
    try {
      return await run();
    } catch (error) {
      // A cached token may have expired early: refresh it once, never in a loop.
      if (error instanceof UpstreamHttpError && error.status === 401 && (await options.auth.invalidate?.(projectId)))
        return await run();
      throw error;
    }
  }

  return {
    fetchSnapshotsText: fetchText,
    async listProjects(identityEndpoint, listOptions = {}) {
      const root = identityEndpoint.replace(/\/+$/, '');
      const origin = new URL(root).origin;
      const found: DiscoveredProject[] = [];
      let url: string | undefined = `${root}/v3/auth/projects`;
      // Keystone answers in one page; follow `links.next` on the same origin for those that page, within a cap.
      for (let page = 0; url && page < 100; page++) {
        const { text, requestId } = await fetchUrl(url, '', listOptions);
        const parsed = parseProjectsBody(text, requestId);
        found.push(...parsed.projects);
        url = parsed.next && new URL(parsed.next, root).origin === origin ? new URL(parsed.next, root).href : undefined;
      }
      return found;
    },
    async listSnapshotsPage(projectId, query, listOptions) {
      const { text, requestId } = await fetchText(projectId, query, listOptions);
      return parseListBody(text, requestId, query.limit);
    },
    async getSnapshot(projectId, snapshotId, listOptions = {}) {
      try {
        const { text, requestId } = await fetchUrl(
          buildSnapshotUrl(options.endpoint, projectId, snapshotId),
          projectId,
          listOptions,
        );
        return parseSnapshotBody(text, requestId);
      } catch (error) {
        if (error instanceof UpstreamHttpError && error.status === 404) return undefined;
        throw error;
      }
    },
    async setSnapshotMetadata(projectId, snapshotId, metadata, listOptions = {}) {
      // Setting the same keys again changes nothing: safe to retry.
      const { text, requestId } = await fetchUrl(
        buildSnapshotUrl(options.endpoint, projectId, snapshotId, '/metadata'),
        projectId,
        listOptions,
        'POST',
        JSON.stringify({ metadata }),
      );
      return parseMetadataBody(text, requestId);
    },
    async deleteSnapshot(projectId, snapshotId, listOptions = {}) {
      await fetchUrl(
        buildSnapshotUrl(options.endpoint, projectId, snapshotId),
        projectId,
        listOptions,
        'DELETE',
        undefined,
        1,
      );
    },
    async listVolumesPage(projectId, query, listOptions = {}) {
      const { text, requestId } = await fetchUrl(
        buildListUrl(
          options.endpoint,
          projectId,
          { marker: query.marker, limit: query.limit },
          query.detail === true,
          'volumes',
        ),
        projectId,
        listOptions,
      );
      return parseVolumeListBody(text, requestId, query.limit);
    },
  };
}
