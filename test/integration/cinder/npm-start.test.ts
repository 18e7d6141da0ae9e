import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingType } from '../../../lib/domain/finding';
import type { WebhookBody } from '../../../lib/notify/render/webhook';
import type { FleetProject } from '../../../tools/emulator/fleet';
import { freePort } from '../../helpers/ports';
import { startScriptedServer } from '../../helpers/scripted-server';

// Issue 22's acceptance as stated: `npm start` itself (serverless-offline, its schedules, the local
// bus, queue and tables) against real Cinder, with a project of 3,000 snapshots of which 2,700
// should be flagged, and only ALERT_WEBHOOK_URL set for notifications, posting to a loopback receiver.
const CINDER = process.env.CINDER_URL as string;
const fleet = JSON.parse(readFileSync(process.env.CINDER_ACCEPTANCE_FLEET as string, 'utf8')) as {
  projects: [FleetProject];
  expected: Array<[string, FindingType]>;
};
const [project] = fleet.projects;
const PROJECT = project.projectId;
const typeCount = (type: FindingType) => fleet.expected.filter(([, t]) => t === type).length;

let stack: ChildProcess;
let output = '';
let hook: Awaited<ReturnType<typeof startScriptedServer>>;
const digests = () => hook.requests.map((r) => JSON.parse(r.body) as WebhookBody);
const counted = (ds: WebhookBody[], kind: string, type?: string) =>
  ds.reduce(
    (n, d) =>
      n + d.counts.filter((c) => c.kind === kind && (!type || c.findingType === type)).reduce((m, c) => m + c.count, 0),
    0,
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(ready: () => boolean, seconds: number) {
  for (let i = 0; i < seconds * 2 && !ready(); i++) await sleep(500);
  expect(ready()).toBe(true);
}

beforeAll(async () => {
  expect(CINDER, 'CINDER_URL is set by run.sh').toBeTruthy();
  const PORTS: Record<string, string> = {};
  for (const key of [
    'PROXY_PORT',
    'LAMBDA_PORT',
    'EVENTBRIDGE_PORT',
    'DYNAMODB_PORT',
    'SQS_PORT',
    'S3_PORT',
    'NOTIFY_SQS_PORT',
  ])
    PORTS[key] = String(await freePort());
  hook = await startScriptedServer(() => ({ status: 200 }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...PORTS,
    LOG_LEVEL: 'warn',
    EVS_ENDPOINT: CINDER,
    EVS_AUTH: 'noauth',
    EVS_REGION: 'cinder',
    SCAN_PROJECT_IDS: PROJECT,
    ALLOWED_PROJECT_IDS: PROJECT,
    ALERT_WEBHOOK_URL: `${hook.url}/hook`,
  };
  // What npm start decides itself (its tables, endpoints and one-minute schedule): nothing from other suites leaks in.
  for (const key of Object.keys(env))
    if (key.startsWith('AWS_ENDPOINT_URL') || (key.startsWith('NOTIFY_') && key !== 'NOTIFY_SQS_PORT')) delete env[key];
  for (const key of [
    'FINDINGS_TABLE',
    'NOTIFICATIONS_TABLE',
    'SCAN_RATE',
    'SCAN_CYCLE_MINUTES',
    'ALERT_WEBHOOK_SECRET',
    'ALERT_TOPIC_ARN',
  ])
    delete env[key];
  stack = spawn('node_modules/.bin/tsx', ['scripts/start-local.ts'], { env, detached: true });
  stack.stdout?.on('data', (c) => (output += c));
  stack.stderr?.on('data', (c) => (output += c));
  for (let i = 0; i < 180 && !output.includes('[local] ready'); i++) await sleep(500);
  expect(output).toContain('[local] ready');
}, 120_000);

afterAll(async () => {
  if (stack?.pid) process.kill(-stack.pid, 'SIGTERM');
  await sleep(1_000);
  await hook?.close();
});

describe('npm start against real Cinder (3,000 snapshots, 2,700 to flag), with only ALERT_WEBHOOK_URL set', () => {
  const highAndMedium = fleet.expected.length - typeCount('STALE');

  it('sends a handful of messages for the first cycle that state the counts; an unchanged cycle sends none', async () => {
    expect(project.snapshots).toHaveLength(3_000);
    expect(fleet.expected).toHaveLength(2_700);
    const started = Date.now();
    // The default route: high and medium in one digest per one-minute window (STALE waits for the daily digest).
    await waitFor(() => counted(digests(), 'new') >= highAndMedium, 540);
    await sleep(5_000);
    const first = digests();
    process.stderr.write(
      `npm start on Cinder: ${project.snapshots.length} snapshots, ${fleet.expected.length} to flag; first cycle: ${first.length} message(s) in ${Math.round((Date.now() - started) / 1000)} s, new ${first.map((d) => counted([d], 'new')).join('+')}, open totals of the last ${JSON.stringify(first.at(-1)?.openTotals)}\n`,
    );
    expect(first.length).toBeLessThanOrEqual(5);
    expect(first.every((d) => d.route === 'default')).toBe(true);
    expect(counted(first, 'new')).toBe(highAndMedium);
    expect([
      counted(first, 'new', 'ERROR_STATUS'),
      counted(first, 'new', 'STUCK'),
      counted(first, 'new', 'ORPHANED'),
    ]).toEqual([typeCount('ERROR_STATUS'), typeCount('STUCK'), typeCount('ORPHANED')]);
    expect(first.at(-1)?.openTotals).toEqual({
      high: typeCount('ERROR_STATUS'),
      medium: typeCount('STUCK') + typeCount('ORPHANED'),
      low: 0,
    });
    expect(output).toMatch(/NOTIFY default: \d+ new/);
    // More than a whole cycle later, with nothing changed in Cinder: nothing more was posted.
    const settled = hook.requests.length;
    await sleep(75_000);
    expect(hook.requests.length).toBe(settled);
  }, 720_000);

  it('names a STUCK snapshot that Cinder turned to error in a message within the next cycle', async () => {
    const [stuckId] = fleet.expected.find(([, t]) => t === 'STUCK') ?? [];
    if (!stuckId) throw new Error('the acceptance fleet has no STUCK snapshot');
    const before = hook.requests.length;
    const reset = await fetch(`${CINDER}/v3/${PROJECT}/snapshots/${stuckId}/action`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': `admin:${PROJECT}` },
      body: JSON.stringify({ 'os-reset_status': { status: 'error' } }),
    });
    expect(reset.status).toBe(202);
    const changedAt = Date.now();
    const later = () => digests().slice(before);
    await waitFor(() => later().some((d) => d.findings.some((f) => f.snapshot.id === stuckId)), 150);
    const took = Math.round((Date.now() - changedAt) / 1000);
    process.stderr.write(`npm start on Cinder: the STUCK snapshot turned to error was named ${took} s later\n`);
    // The next scan starts within a minute and its window closes a minute later.
    expect(took).toBeLessThanOrEqual(150);
    expect(
      later().map((d) => d.findings.map((f) => [f.kind, f.snapshot.id, f.findingType, f.previous?.findingType])),
    ).toEqual([[['escalated', stuckId, 'ERROR_STATUS', 'STUCK']]]);
  }, 200_000);
});
