/**
 * Faults found by probing the scanner (issue 11): a bus that hangs or throttles, an upstream
 * that loops, redirects, leaks text or names statuses after Object.prototype members. Each runs
 * the real scanner (or its handler / CLI) against loopback servers.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScanSnapshotsHandler, scanSnapshotsDepsFromEnv } from '../../functions/scan-snapshots';
import { DETAIL_TYPES } from '../../lib/events/contract';
import { createLogger } from '../../lib/observability/log';
import { buildScanner } from '../../lib/wiring/scanner';
import { loadScanSettings } from '../../lib/wiring/settings/scanner';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import {
  type FaultResponse,
  type ListRequestInfo,
  type RunningEmulator,
  startEmulator,
} from '../../tools/emulator/server';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { listenOnLoopback } from '../../tools/local/loopback';
import { lambdaContext } from '../helpers/events';
import { schemaErrors } from '../helpers/schemas';
import { startScriptedServer } from '../helpers/scripted-server';

let fleet: Fleet;
let emulator: RunningEmulator;
let fault: ((r: ListRequestInfo) => FaultResponse | undefined) | undefined;
const buses: LocalEventBridge[] = [];

beforeAll(async () => {
  fleet = generateFleet({ seed: 'faults', size: 3_000, projects: 1, now: Date.now() });
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' }, fault: (r) => fault?.(r) });
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
});
afterAll(() => emulator.close());
afterEach(async () => {
  fault = undefined;
  delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

const project = () => fleet.projects[0]?.projectId as string;

function settings(env: Record<string, string> = {}) {
  return loadScanSettings({
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    EVS_RETRY_BASE_MS: '1',
    EVS_RETRY_MAX_MS: '5',
    SCAN_PROJECT_IDS: project(),
    SCAN_RESERVE_MS: '200',
    EVENT_RETRY_BASE_MS: '1',
    EVENT_RETRY_MAX_MS: '20',
    ...env,
  });
}

async function scanWithBus(
  bus: Parameters<typeof startLocalEventBridge>[0] = {},
  env: Record<string, string> = {},
  upstreamUrl?: string,
) {
  const local = await startLocalEventBridge(bus);
  buses.push(local);
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = local.url;
  const scan = buildScanner(settings({ ...env, ...(upstreamUrl ? { EVS_ENDPOINT: upstreamUrl } : {}) }));
  const result = await scan(Date.now() + 60_000);
  const events = local.received.map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail) }));
  return { result, events };
}

describe('delivery to EventBridge', () => {
  it('returns its accounting before the deadline when PutEvents never answers: every event counted and logged as undelivered', async () => {
    const hanging = createServer(() => undefined);
    const bound = await listenOnLoopback(hanging);
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bound.url;
    const lines: string[] = [];
    try {
      const handler = createScanSnapshotsHandler(
        scanSnapshotsDepsFromEnv(
          { ...settingsEnv(), EVENT_CALL_TIMEOUT_MS: '500', SCAN_RESERVE_MS: '1500' },
          createLogger({}, (l) => lines.push(l), 'info'),
        ),
      );
      const started = Date.now();
      const result = (await handler({}, lambdaContext(5_000))) as {
        ok: boolean;
        projects: Array<{
          delivered: number;
          deliveryFailures: number;
          complete: boolean;
          findings: Record<string, number>;
        }>;
      };
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result.ok).toBe(false);
      const p = result.projects[0];
      if (!p) throw new Error('no project in the result');
      expect(p.delivered).toBe(0);
      // Waiting on a bus that never answers slows the listing down until the deadline; whatever
      // was produced (findings, the summary, and a Scan Failed when incomplete) is accounted for.
      const produced = Object.values(p.findings).reduce((a, b) => a + b, 0) + 1 + (p.complete ? 0 : 1);
      expect(produced).toBeGreaterThan(10);
      expect(p.deliveryFailures).toBe(produced);
      expect(lines.filter((l) => l.includes('"message":"event not delivered"'))).toHaveLength(produced);
      expect(lines.some((l) => l.includes('"message":"scan finished with problems"'))).toBe(true);
    } finally {
      await bound.close();
    }
  });

  it('npm run scan -- --timeout-seconds 5 ends on time against a PutEvents endpoint that never answers', async () => {
    const hanging = createServer(() => undefined);
    const bound = await listenOnLoopback(hanging);
    try {
      const started = Date.now();
      const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn('node_modules/.bin/tsx', ['scripts/scan.ts', '--timeout-seconds', '5', '--quiet'], {
          env: {
            PATH: process.env.PATH,
            ...settingsEnv(),
            AWS_ENDPOINT_URL_EVENTBRIDGE: bound.url,
            AWS_REGION: 'eu-west-1',
            AWS_ACCESS_KEY_ID: 't',
            AWS_SECRET_ACCESS_KEY: 't',
            EVENT_CALL_TIMEOUT_MS: '1000',
            SCAN_RESERVE_MS: '2000',
            LOG_LEVEL: 'silent',
          },
        });
        let err = '';
        child.stderr.on('data', (c) => (err += c));
        child.on('close', (c) => resolve({ code: c, stderr: err }));
      });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(code).toBe(1);
      expect(stderr).toContain('undelivered');
      expect(stderr).toContain('PROBLEMS');
    } finally {
      await bound.close();
    }
  });

  it('delivers every finding exactly once from a 3,000-snapshot scan while the bus throttles every 4th entry it receives', async () => {
    let received = 0;
    const { result, events } = await scanWithBus({
      failEntry: () =>
        ++received % 4 === 0 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : undefined,
    });
    expect(result.ok).toBe(true);
    const ids = events.filter((e) => e.type === DETAIL_TYPES.finding).map((e) => e.detail.snapshot.id as string);
    expect(ids).toHaveLength(fleet.expected.size);
    expect(new Set(ids)).toEqual(new Set(fleet.expected.keys()));
  });
});

describe('paging and upstream answers', () => {
  it('publishes 3 findings, not 30,000, when the upstream ignores the marker but keeps minting new ones', async () => {
    const looped = [0, 1, 2].map((i) => ({
      id: `00000000-0000-4000-8000-00000000000${i}`,
      status: 'error',
      name: null,
      description: null,
      created_at: '2026-01-01T00:00:00',
      updated_at: null,
      metadata: {},
      volume_id: 'v',
      size: 1,
    }));
    let n = 0;
    const upstream = await startScriptedServer(() => ({
      status: 200,
      body: JSON.stringify({
        snapshots: looped,
        snapshots_links: [
          { rel: 'next', href: `http://x/?marker=${(++n).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000` },
        ],
      }),
    }));
    try {
      const { result, events } = await scanWithBus({}, { SCAN_PAGE_SIZE: '3' }, upstream.url);
      expect(events.filter((e) => e.type === DETAIL_TYPES.finding)).toHaveLength(3);
      expect(result.projects[0]?.failure?.code).toBe('PAGINATION_LOOP');
      expect(upstream.requests.length).toBeLessThan(5);
    } finally {
      await upstream.close();
    }
  });

  it('reports an upstream redirect as UPSTREAM_BAD_RESPONSE, and its Scan Failed event carries none of the upstream text', async () => {
    fault = () => ({
      status: 302,
      body: 'moved to http://10.0.0.5 internal',
      headers: { Location: 'http://10.0.0.5/' },
    });
    const { events } = await scanWithBus();
    const failed = events.find((e) => e.type === DETAIL_TYPES.failed)?.detail;
    expect(failed).toMatchObject({ failureCode: 'UPSTREAM_BAD_RESPONSE', upstreamStatus: 302 });
    expect(JSON.stringify(failed)).not.toMatch(/10\.0\.0\.5|moved|internal/);
  });

  it("says what happened in a Scan Failed event without the upstream's body", async () => {
    fault = () => ({
      status: 401,
      body: '{"error_code":"APIGW.0301","error_msg":"rejected by keystone at http://10.1.2.3:5000","request_id":"r-9"}',
    });
    const { events } = await scanWithBus();
    const failed = events.find((e) => e.type === DETAIL_TYPES.failed)?.detail;
    expect(failed).toMatchObject({
      failureCode: 'UPSTREAM_AUTH_FAILED',
      upstreamStatus: 401,
      upstreamRequestId: expect.stringMatching(/^req-/),
    });
    expect(JSON.stringify(failed)).not.toMatch(/10\.1\.2\.3|keystone|rejected/);
  });

  it('classifies statuses named constructor, toString and __proto__ as UNKNOWN_STATUS and counts them as plain keys', async () => {
    const odd = ['constructor', 'toString', '__proto__', 'hasOwnProperty'].map((status, i) => ({
      id: `00000000-0000-4000-8000-00000000001${i}`,
      status,
      name: null,
      description: null,
      created_at: '2026-01-01T00:00:00',
      updated_at: '2026-01-01T00:00:00',
      metadata: {},
      volume_id: 'v',
      size: 1,
    }));
    const upstream = await startScriptedServer(() => ({ status: 200, body: JSON.stringify({ snapshots: odd }) }));
    try {
      const { events } = await scanWithBus({}, {}, upstream.url);
      const findings = events.filter((e) => e.type === DETAIL_TYPES.finding).map((e) => e.detail);
      expect(findings.map((f) => [f.snapshot.status, f.findingType])).toEqual(
        odd.map((s) => [s.status, 'UNKNOWN_STATUS']),
      );
      for (const e of events) expect(schemaErrors(e.type, e.detail)).toEqual([]);
      const summary = events.find((e) => e.type === DETAIL_TYPES.summary)?.detail;
      expect(Object.entries(summary.countsByStatus).sort()).toEqual([
        ['__proto__', 1],
        ['constructor', 1],
        ['hasOwnProperty', 1],
        ['toString', 1],
      ]);
      expect(summary.countsByFindingType).toEqual({ UNKNOWN_STATUS: 4 });
    } finally {
      await upstream.close();
    }
  });

  it('fails a project whose page is over the byte cap instead of buffering it', async () => {
    fault = () => ({
      status: 200,
      body: JSON.stringify({ snapshots: [{ id: 'a', status: 'available', description: 'x'.repeat(200_000) }] }),
    });
    const { result } = await scanWithBus({}, { EVS_MAX_BODY_BYTES: '100000' });
    expect(result.projects[0]?.failure?.code).toBe('UPSTREAM_BAD_RESPONSE');
  });
});

function settingsEnv(): Record<string, string> {
  return {
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    SCAN_PROJECT_IDS: project(),
    EVS_RETRY_BASE_MS: '1',
    EVENT_RETRY_BASE_MS: '1',
    EVENT_RETRY_MAX_MS: '20',
  };
}
