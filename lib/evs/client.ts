import type { AuthStrategy } from './auth';
import { rawSnapshotsArray } from './raw-body';
import { type HttpTransport, nodeHttpTransport, type TransportResponse } from './transport';
import {
  DeadlineExceededError,
  EvsError,
  normaliseUpstreamError,
  UpstreamBadResponseError,
  UpstreamHttpError,
  UpstreamNetworkError,
  UpstreamTimeoutError,
} from './errors';
import { DEFAULT_RETRY, type RetryClock, type RetryOptions, retryIdempotent, systemClock } from './retry';
import { type PageQuery, QUERY_KEYS, type Snapshot, type SnapshotLink, type SnapshotPage } from './types';

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

/** The narrow shape the proxy, pager and scanner depend on. */
export interface SnapshotLister {
  listSnapshotsPage(projectId: string, query: PageQuery, options?: ListOptions): Promise<SnapshotPage>;
}

/** Builds the upstream list URL with query keys in a fixed order. */
export function buildListUrl(endpoint: string, projectId: string, query: PageQuery, detail = false): string {
  const root = endpoint.replace(/\/+$/, '');
  const params = new URLSearchParams();
  for (const key of QUERY_KEYS) {
    const value = query[key];
    if (value !== undefined) params.append(key, String(value));
  }
  const qs = params.toString();
  return `${root}/v2/${encodeURIComponent(projectId)}/snapshots${detail ? '/detail' : ''}${qs ? `?${qs}` : ''}`;
}

function findNext(links: unknown): SnapshotLink | undefined {
  if (!Array.isArray(links)) return undefined;
  return links.find(
    (l): l is SnapshotLink => !!l && typeof l === 'object' && (l as SnapshotLink).rel === 'next' && typeof (l as SnapshotLink).href === 'string',
  );
}

function markerOf(href: string): string | undefined {
  try {
    return new URL(href, 'http://upstream.invalid').searchParams.get('marker') ?? undefined;
  } catch {
    return undefined;
  }
}

/** Parses a 2xx list body; anything not of the seed's shape is an error, not an empty page. */
export function parseListBody(text: string, requestId: string | undefined): SnapshotPage {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new UpstreamBadResponseError('body is not JSON', requestId);
  }
  const snapshots = (body as { snapshots?: unknown } | null)?.snapshots;
  if (!Array.isArray(snapshots)) throw new UpstreamBadResponseError('no "snapshots" array', requestId);
  for (const item of snapshots) {
    if (!item || typeof item !== 'object' || typeof (item as Snapshot).id !== 'string') {
      throw new UpstreamBadResponseError('a snapshot without an id', requestId);
    }
  }
  const next = findNext((body as { snapshots_links?: unknown }).snapshots_links);
  const last = snapshots[snapshots.length - 1] as Snapshot | undefined;
  return {
    snapshots: snapshots as Snapshot[],
    rawSnapshots: rawSnapshotsArray(text, body as Record<string, unknown>),
    nextHref: next?.href,
    nextMarker: next ? (markerOf(next.href) ?? last?.id) : undefined,
    requestId,
  };
}

/** An EVS/Cinder snapshot list client: one page per call, authorised, timed out and retried. */
export function createEvsClient(options: EvsClientOptions): SnapshotLister {
  const transport = options.transport ?? nodeHttpTransport();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retry = options.retry ?? DEFAULT_RETRY;
  const clock = options.clock ?? systemClock;

  async function attemptOnce(url: string, projectId: string, budgetMs: number): Promise<SnapshotPage> {
    const headers = {
      Accept: 'application/json',
      ...(await options.auth.headers({ method: 'GET', url, projectId }, new Date(clock.now()))),
    };
    const limitMs = Math.max(1, Math.min(timeoutMs, budgetMs));
    let response: TransportResponse;
    try {
      response = await transport.get(url, headers, limitMs);
    } catch (error) {
      const name = (error as Error | undefined)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        const timeout = new UpstreamTimeoutError(limitMs, error);
        // Cut short by the caller's deadline rather than by our own timeout: say so.
        throw budgetMs < timeoutMs ? new DeadlineExceededError(timeout) : timeout;
      }
      if (name === 'BodyTooLargeError') throw new UpstreamBadResponseError((error as Error).message, undefined);
      throw new UpstreamNetworkError(error);
    }
    const requestId = response.header('x-request-id') ?? response.header('x-openstack-request-id');
    if (response.status < 200 || response.status >= 300) {
      throw normaliseUpstreamError(response.status, response.body, { get: (name) => response.header(name) ?? null }, clock.now());
    }
    const text = response.body;
    return parseListBody(text, requestId);
  }

  return {
    async listSnapshotsPage(projectId, query, listOptions = {}) {
      const url = buildListUrl(options.endpoint, projectId, query, listOptions.detail);
      const deadline = listOptions.deadline ?? clock.now() + timeoutMs * retry.maxAttempts + retry.maxDelayMs * retry.maxAttempts;
      const run = () => retryIdempotent((budget) => attemptOnce(url, projectId, budget), retry, deadline, clock);
      try {
        return await run();
      } catch (error) {
        // A cached token may have expired early: refresh it once, never in a loop.
        if (error instanceof UpstreamHttpError && error.status === 401 && options.auth.invalidate?.(projectId)) {
          return await run();
        }
        if (error instanceof EvsError) throw error;
        throw new UpstreamNetworkError(error);
      }
    },
  };
}
