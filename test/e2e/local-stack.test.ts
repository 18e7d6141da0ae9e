import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports';
import { startScriptedServer } from '../helpers/scripted-server';

// `npm start` as a user runs it: emulator, local EventBridge and serverless-offline, on ports the OS says are free.
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
let base = '';
let emulatorUrl = '';
let reportUrl = '';
let stack: ChildProcess;
let output = '';
// The alert webhook answers 404 to everything: each alert's invocation fails, and the stack must go on.
let webhook: Awaited<ReturnType<typeof startScriptedServer>>;

beforeAll(async () => {
  const PORTS = { PROXY_PORT: String(await freePort()), LAMBDA_PORT: String(await freePort()), EMULATOR_PORT: String(await freePort()), EVENTBRIDGE_PORT: String(await freePort()), DYNAMODB_PORT: String(await freePort()), SQS_PORT: String(await freePort()), S3_PORT: String(await freePort()) };
  base = `http://127.0.0.1:${PORTS.PROXY_PORT}`;
  emulatorUrl = `http://127.0.0.1:${PORTS.EMULATOR_PORT}`;
  reportUrl = `http://127.0.0.1:${PORTS.S3_PORT}/evs-snapshot-sentinel-local-reports`;
  webhook = await startScriptedServer(() => ({ status: 404, body: '{"message": "no such hook"}' }));
  const env: NodeJS.ProcessEnv = { ...process.env, ...PORTS, LOG_LEVEL: 'warn', ALERT_WEBHOOK_URL: `${webhook.url}/hook` };
  for (const key of ['EVS_ENDPOINT', 'EVS_AUTH', 'ALLOWED_PROJECT_IDS', 'SCAN_PROJECT_IDS']) delete env[key];
  stack = spawn('node_modules/.bin/tsx', ['scripts/start-local.ts'], { env, detached: true });
  stack.stdout?.on('data', (c) => (output += c));
  stack.stderr?.on('data', (c) => (output += c));
  for (let i = 0; i < 120 && !output.includes('[local] ready'); i++) await new Promise((r) => setTimeout(r, 500));
  expect(output).toContain('[local] ready');
}, 90_000);

afterAll(async () => {
  if (stack.pid) process.kill(-stack.pid, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await webhook?.close();
});

describe('npm start (local stack)', () => {
  it('serves seed-shaped pages through serverless-offline with next links to itself', async () => {
    const response = await fetch(`${base}/v2/${PROJECT}/snapshots?limit=5&status=available`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { snapshots: unknown[]; snapshots_links: Array<{ href: string }> };
    expect(body.snapshots).toHaveLength(5);
    expect(body.snapshots_links[0]?.href.startsWith(`${base}/v2/${PROJECT}/snapshots?`)).toBe(true);
  });

  it('refuses all_tenants with a seed-shaped 400', async () => {
    const response = await fetch(`${base}/v2/${PROJECT}/snapshots?all_tenants=1`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { badRequest: { code: string } }).badRequest.code).toBe('UNKNOWN_PARAMETER');
  });

  const waitForScans = async (count: number) => {
    for (let i = 0; i < 300 && (output.match(/ALERT \[SCAN COMPLETE\]/g) ?? []).length < count; i++) await new Promise((r) => setTimeout(r, 500));
    expect((output.match(/ALERT \[SCAN COMPLETE\]/g) ?? []).length).toBeGreaterThanOrEqual(count);
  };

  it('runs the scanner on its schedule; the subscriber alerts once per finding and says RESOLVED when one goes away', async () => {
    await waitForScans(2);
    expect(output).toMatch(new RegExp(`ALERT \\[SCAN COMPLETE\\] project ${PROJECT}/local: 1500 snapshots`));
    const first = [...output.matchAll(/ALERT \[HIGH\] ERROR_STATUS snapshot ([0-9a-f-]{36}) .* in project ([0-9a-f]{32})\/local: .*\[OPENED finding [0-9a-f]{32}\]/g)];
    expect(first.length).toBeGreaterThan(0);
    const [, snapshotId, project] = first[0] as RegExpMatchArray;
    await new Promise((r) => setTimeout(r, 3_000));
    const alertsBefore = (output.match(/ALERT \[HIGH\]/g) ?? []).length;
    // The findings API reads the same table.
    const listed = (await (await fetch(`${base}/v2/${project}/findings?severity=high&state=OPEN&limit=1000`)).json()) as { findings: Array<{ snapshot_id: string }> };
    expect(listed.findings.map((f) => f.snapshot_id)).toContain(snapshotId);
    // Delete the snapshot in the emulator, as Cinder's own API would.
    const deleted = await fetch(`${emulatorUrl}/v2/${project}/snapshots/${snapshotId}`, { method: 'DELETE', headers: { 'X-Auth-Token': `admin:${project}` } });
    expect(deleted.status).toBe(202);
    const cut = output.length;
    await waitForScans(4);
    const second = output.slice(cut);
    expect(second).toMatch(new RegExp(`ALERT RESOLVED ERROR_STATUS snapshot ${snapshotId} .* after \\d+ minutes open`));
    // Findings already announced are not announced again.
    expect((output.match(/ALERT \[HIGH\]/g) ?? []).length).toBe(alertsBefore);
    expect(second).toMatch(/resolved 1, open \d+/);
  }, 200_000);

  it('writes the fleet report after a cycle, served by the local S3 as the page npm start prints', async () => {
    expect(output).toContain(`${reportUrl}/fleet-report.html`);
    let report: { totals: { projects: number; snapshots: number } } | undefined;
    for (let i = 0; i < 180 && (report?.totals.projects ?? 0) < 2; i++) {
      const response = await fetch(`${reportUrl}/fleet-report.json`);
      if (response.ok) report = (await response.json()) as typeof report;
      if ((report?.totals.projects ?? 0) < 2) await new Promise((r) => setTimeout(r, 500));
    }
    expect(report?.totals).toMatchObject({ projects: 2, snapshots: 3000 });
    const page = await fetch(`${reportUrl}/fleet-report.html`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<canvas id="chart-age"');
  }, 120_000);

  it('logs each alert the webhook refused (HTTP 404) and goes on: serverless-offline is still serving', async () => {
    expect(webhook.requests.length).toBeGreaterThan(0);
    expect(output).toContain('[local] invocation of evs-snapshot-sentinel-local-alertSubscriber failed (alert webhook answered HTTP 404); the event is dropped, the stack goes on');
    expect(output).not.toContain('serverless-offline exited');
    expect((await fetch(`${base}/v2/${PROJECT}/snapshots?limit=1`)).status).toBe(200);
  });
});
