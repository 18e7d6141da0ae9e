import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../local/loopback';
import { handleSnapshotChange } from './admin';
import { authorise, type EmulatorAuth } from './auth';
import { listPage, listVolumesPage } from './paging';
import { fault, header, send } from './respond';

export type { EmulatorAuth } from './auth';

import type { FleetProject } from './fleet';
import { SnapshotStore, VolumeStore } from './store';

/** What a fault hook may answer instead of the real listing. */
export interface FaultResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (to exercise timeouts). */
  delayMs?: number;
}

export interface ListRequestInfo {
  projectId: string;
  query: URLSearchParams;
  /** 1-based count of list requests this emulator has served. */
  count: number;
  headers: IncomingMessage['headers'];
}

export interface EmulatorOptions {
  projects: FleetProject[];
  port?: number;
  /** Cinder's `osapi_max_limit`. */
  maxLimit?: number;
  auth?: EmulatorAuth;
  /** Base for next links instead of the request's host (Cinder's `public_endpoint`). */
  publicEndpoint?: string;
  /** Return a response to inject a failure; undefined serves the request normally. */
  fault?: (request: ListRequestInfo) => FaultResponse | undefined;
  /** The same for volume list requests (`GET /v2/{p}/volumes`). */
  volumeFault?: (request: ListRequestInfo) => FaultResponse | undefined;
  /** Added latency per list request, to exercise deadlines. */
  latencyMs?: (request: ListRequestInfo) => number;
  /** Names Keystone's `GET /v3/auth/projects` gives the projects (default: `{region}_{id prefix}`). */
  projectNames?: Readonly<Record<string, string>>;
  /** Region used in default project names. */
  region?: string;
}

export interface RunningEmulator {
  url: string;
  port: number;
  store: SnapshotStore;
  volumes: VolumeStore;
  /** Snapshot list requests served so far. */
  readonly listRequests: number;
  /** Volume list requests served so far. */
  readonly volumeRequests: number;
  /** Most list requests (snapshots and volumes) that were being served at the same time. */
  readonly maxInFlight: number;
  /** List requests per project. */
  readonly requestsByProject: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

const LIST_PATH = /^\/v[23]\/([^/]+)\/snapshots(\/detail)?\/?$/;
const VOLUMES_PATH = /^\/v[23]\/([^/]+)\/volumes(\/detail)?\/?$/;
const VOLUME_PATH = /^\/v[23]\/([^/]+)\/volumes\/([0-9a-fA-F-]{36})$/;

function versionsDocument(base: string): unknown {
  const version = (id: string, status: string, min: string, max: string) => ({
    id,
    status,
    version: max,
    min_version: min,
    updated: '2026-01-01T00:00:00Z',
    links: [{ rel: 'self', href: `${base}/${id.split('.')[0]}/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
  });
  return { versions: [version('v3.0', 'CURRENT', '3.0', '3.0')] };
}

/** Starts an EVS/Cinder-compatible snapshot list server on 127.0.0.1. */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const store = new SnapshotStore(options.projects);
  const volumes = new VolumeStore(options.projects);
  const maxLimit = options.maxLimit ?? 1000;
  const auth = options.auth ?? { mode: 'none' };
  let listRequests = 0;
  let volumeRequests = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const requestsByProject = new Map<string, number>();

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${header(req, 'host') ?? '127.0.0.1'}`);
    if (handleSnapshotChange(req, res, url.pathname, store, (projectId) => authorise(req, res, projectId, auth)))
      return;
    const volume = VOLUME_PATH.exec(url.pathname);
    if (volume && req.method === 'DELETE') {
      // A disk deleted with its snapshots left behind: they become orphans.
      const projectId = decodeURIComponent(volume[1] as string);
      if (!authorise(req, res, projectId, auth)) return;
      if (volumes.remove(projectId, volume[2] as string)) return send(res, 202, '');
      return fault(res, 404, `Volume ${volume[2]} could not be found.`);
    }
    if (req.method !== 'GET') return fault(res, 405, 'The method is not allowed for this resource.');
    if (url.pathname === '/' || url.pathname === '') return send(res, 300, versionsDocument(url.origin));
    if (url.pathname === '/v3/auth/projects') {
      // Keystone's (and Huawei IAM's) list of the projects a credential can see.
      if (!authorise(req, res, '', auth)) return;
      const projects = store.projectIds().map((id) => ({
        id,
        name: options.projectNames?.[id] ?? `${options.region ?? 'local'}_${id.slice(0, 8)}`,
        enabled: true,
        domain_id: 'default',
        links: { self: `${url.origin}/v3/projects/${id}` },
      }));
      return send(res, 200, {
        projects,
        links: { self: `${url.origin}/v3/auth/projects`, previous: null, next: null },
      });
    }
    const volumeList = VOLUMES_PATH.exec(url.pathname);
    if (volumeList) {
      const projectId = decodeURIComponent(volumeList[1] as string);
      if (!authorise(req, res, projectId, auth)) return;
      const count = ++volumeRequests;
      track(res);
      const info = { projectId, query: url.searchParams, count, headers: req.headers };
      const injected = options.volumeFault?.(info);
      if (injected) return answerFault(res, injected);
      const serve = () => {
        const page = listVolumesPage(volumes, {
          projectId,
          query: url.searchParams,
          pathname: url.pathname,
          origin: options.publicEndpoint?.replace(/\/+$/, '') ?? url.origin,
          detail: volumeList[2] !== undefined,
          maxLimit,
        });
        if (!page.ok) return fault(res, page.status, page.message);
        send(res, 200, page.body);
      };
      const latency = options.latencyMs?.(info) ?? 0;
      if (latency > 0) setTimeout(serve, latency);
      else serve();
      return;
    }
    const match = LIST_PATH.exec(url.pathname);
    if (!match) return fault(res, 404, 'The resource could not be found.');
    const projectId = decodeURIComponent(match[1] as string);
    const detail = match[2] !== undefined;
    if (!authorise(req, res, projectId, auth)) return;
    const count = ++listRequests;
    requestsByProject.set(projectId, (requestsByProject.get(projectId) ?? 0) + 1);
    track(res);
    const injected = options.fault?.({ projectId, query: url.searchParams, count, headers: req.headers });
    if (injected) return answerFault(res, injected);
    const latency = options.latencyMs?.({ projectId, query: url.searchParams, count, headers: req.headers }) ?? 0;
    if (latency > 0) {
      setTimeout(() => serveList(res, url, projectId, detail), latency);
      return;
    }
    serveList(res, url, projectId, detail);
  });
  server.keepAliveTimeout = 30_000;

  function track(res: ServerResponse): void {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once('close', () => inFlight--);
  }

  function answerFault(res: ServerResponse, injected: FaultResponse): void {
    const answer = () => send(res, injected.status, injected.body, injected.headers);
    if (injected.delayMs) setTimeout(answer, injected.delayMs);
    else answer();
  }

  function serveList(res: ServerResponse, url: URL, projectId: string, detail: boolean): void {
    const startedAt = performance.now();
    const page = listPage(store, {
      projectId,
      query: url.searchParams,
      pathname: url.pathname,
      origin: options.publicEndpoint?.replace(/\/+$/, '') ?? url.origin,
      detail,
      maxLimit,
    });
    if (!page.ok) {
      fault(res, page.status, page.message);
      return;
    }
    // The emulator's own cost per page (lookup and serialisation), so benchmarks can show it is not the bottleneck.
    const text = JSON.stringify(page.body);
    send(res, 200, text, { 'Server-Timing': `list;dur=${(performance.now() - startedAt).toFixed(3)}` });
  }

  const bound = await listenOnLoopback(server, options.port);
  return {
    url: bound.url,
    port: bound.port,
    store,
    volumes,
    get listRequests() {
      return listRequests;
    },
    get volumeRequests() {
      return volumeRequests;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    requestsByProject,
    close: bound.close,
  };
}
