import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { faultNameForStatus } from '../evs/errors';
import { type AkSkCredentials, SIGNING_ALGORITHM, signRequest } from '../evs/signer';
import type { SnapshotFilters } from '../evs/types';
import { listenOnLoopback } from '../local/loopback';
import type { FleetProject } from './fleet';
import { SnapshotStore } from './store';

export type EmulatorAuth =
  | { mode: 'none' }
  | { mode: 'noauth' }
  | { mode: 'token'; tokens: string[] }
  | { mode: 'aksk'; credentials: AkSkCredentials[]; maxSkewMs?: number };

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
  /** Added latency per list request, to exercise deadlines. */
  latencyMs?: (request: ListRequestInfo) => number;
}

export interface RunningEmulator {
  url: string;
  port: number;
  store: SnapshotStore;
  /** List requests served so far. */
  readonly listRequests: number;
  close(): Promise<void>;
}

const LIST_PATH = /^\/v[23]\/([^/]+)\/snapshots(\/detail)?\/?$/;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'x-openstack-request-id': `req-${randomUUID()}`,
    ...headers,
  });
  res.end(text);
}

function fault(res: ServerResponse, status: number, message: string): void {
  send(res, status, { [faultNameForStatus(status)]: { message, code: status } });
}

function apigwError(res: ServerResponse, status: number, code: string, message: string): void {
  const requestId = randomUUID().replace(/-/g, '');
  send(res, status, { error_code: code, error_msg: message, request_id: requestId }, { 'X-Request-Id': requestId });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseSdkDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

/** Checks a request the way the upstream would; returns true when it may proceed. */
function authorise(req: IncomingMessage, res: ServerResponse, projectId: string, auth: EmulatorAuth): boolean {
  switch (auth.mode) {
    case 'none':
      return true;
    case 'noauth': {
      const token = header(req, 'x-auth-token') ?? '';
      const [, project] = token.split(':');
      if (project === projectId) return true;
      fault(res, 401, 'The request you have made requires authentication.');
      return false;
    }
    case 'token': {
      if (auth.tokens.includes(header(req, 'x-auth-token') ?? '')) return true;
      fault(res, 401, 'The request you have made requires authentication.');
      return false;
    }
    case 'aksk': {
      const authorization = header(req, 'authorization') ?? '';
      const m = new RegExp(`^${SIGNING_ALGORITHM} Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$`).exec(authorization);
      const credentials = m ? auth.credentials.find((c) => c.ak === m[1]) : undefined;
      if (!m || !credentials) {
        apigwError(res, 401, 'APIGW.0301', 'Incorrect IAM authentication information: AK not found or malformed Authorization');
        return false;
      }
      const sdkDate = parseSdkDate(header(req, 'x-sdk-date') ?? '');
      if (!Number.isFinite(sdkDate) || Math.abs(Date.now() - sdkDate) > (auth.maxSkewMs ?? 15 * 60_000)) {
        apigwError(res, 401, 'APIGW.0301', 'Incorrect IAM authentication information: X-Sdk-Date is out of range');
        return false;
      }
      const signedNames = (m[2] as string).split(';');
      const headers: Record<string, string> = {};
      for (const name of signedNames) {
        if (name === 'host' || name === 'x-sdk-date' || name === 'x-security-token') continue;
        headers[name] = header(req, name) ?? '';
      }
      const securityToken = signedNames.includes('x-security-token') ? header(req, 'x-security-token') : undefined;
      const expected = signRequest(
        { method: req.method ?? 'GET', url: `http://${header(req, 'host')}${req.url}`, headers },
        { ...credentials, securityToken },
        new Date(sdkDate),
      );
      if (expected.Authorization !== authorization || header(req, 'x-project-id') !== projectId) {
        apigwError(res, 401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail');
        return false;
      }
      return true;
    }
  }
}

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
  const maxLimit = options.maxLimit ?? 1000;
  const auth = options.auth ?? { mode: 'none' };
  let listRequests = 0;

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${header(req, 'host') ?? '127.0.0.1'}`);
    if (req.method !== 'GET') return fault(res, 405, 'The method is not allowed for this resource.');
    if (url.pathname === '/' || url.pathname === '') return send(res, 300, versionsDocument(url.origin));
    const match = LIST_PATH.exec(url.pathname);
    if (!match) return fault(res, 404, 'The resource could not be found.');
    const projectId = decodeURIComponent(match[1] as string);
    const detail = match[2] !== undefined;
    if (!authorise(req, res, projectId, auth)) return;
    const count = ++listRequests;
    const injected = options.fault?.({ projectId, query: url.searchParams, count, headers: req.headers });
    if (injected) {
      const answer = () => send(res, injected.status, injected.body, injected.headers);
      if (injected.delayMs) setTimeout(answer, injected.delayMs);
      else answer();
      return;
    }
    const latency = options.latencyMs?.({ projectId, query: url.searchParams, count, headers: req.headers }) ?? 0;
    if (latency > 0) {
      setTimeout(() => serveList(res, url, projectId, detail), latency);
      return;
    }
    serveList(res, url, projectId, detail);
  });
  server.keepAliveTimeout = 30_000;

  function serveList(res: ServerResponse, url: URL, projectId: string, detail: boolean): void {
    const startedAt = performance.now();
    const q = url.searchParams;
    const limitText = q.get('limit');
    const offsetText = q.get('offset') ?? '0';
    if (limitText !== null && !/^-?\d+$/.test(limitText)) return fault(res, 400, 'limit param must be an integer');
    const limit = limitText === null ? maxLimit : Number(limitText);
    if (limit < 0) return fault(res, 400, 'limit param must be positive');
    if (!/^\d+$/.test(offsetText)) return fault(res, 400, `Invalid input received: offset = ${offsetText}`);
    const filters: SnapshotFilters = {};
    for (const key of ['name', 'status', 'volume_id'] as const) {
      const value = q.get(key);
      if (value !== null) filters[key] = value;
    }
    const marker = q.get('marker') ?? undefined;
    const effectiveLimit = Math.min(limit, maxLimit);
    const result = store.list(projectId, { filters, marker, offset: Number(offsetText), limit: effectiveLimit });
    if (!result.ok) return fault(res, 404, `Snapshot ${marker} could not be found.`);
    const snapshots = detail
      ? result.items.map((s) => ({
          ...s,
          'os-extended-snapshot-attributes:project_id': projectId,
          'os-extended-snapshot-attributes:progress': s.status === 'available' ? '100%' : '0%',
        }))
      : result.items;
    const body: Record<string, unknown> = { snapshots };
    const last = result.items[result.items.length - 1];
    // Like Cinder: a full page always gets a next link that copies every parameter but marker.
    if (last && result.items.length >= effectiveLimit) {
      const next = new URLSearchParams(q);
      next.set('marker', last.id);
      const base = options.publicEndpoint?.replace(/\/+$/, '') ?? url.origin;
      body.snapshots_links = [{ rel: 'next', href: `${base}${url.pathname}?${next.toString()}` }];
    }
    // The emulator's own cost per page (lookup and serialisation), so benchmarks can show it is not the bottleneck.
    const text = JSON.stringify(body);
    send(res, 200, text, { 'Server-Timing': `list;dur=${(performance.now() - startedAt).toFixed(3)}` });
  }

  const bound = await listenOnLoopback(server, options.port);
  return {
    url: bound.url,
    port: bound.port,
    store,
    get listRequests() {
      return listRequests;
    },
    close: bound.close,
  };
}
