import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports';

// `npm start` as a user runs it: emulator, local EventBridge and serverless-offline, on ports the OS says are free.
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
let base = '';
let stack: ChildProcess;
let output = '';

beforeAll(async () => {
  const PORTS = { PROXY_PORT: String(await freePort()), LAMBDA_PORT: String(await freePort()), EMULATOR_PORT: String(await freePort()), EVENTBRIDGE_PORT: String(await freePort()) };
  base = `http://127.0.0.1:${PORTS.PROXY_PORT}`;
  const env: NodeJS.ProcessEnv = { ...process.env, ...PORTS, LOG_LEVEL: 'warn' };
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

  it('runs the scanner on its schedule and the subscriber prints readable alerts', async () => {
    for (let i = 0; i < 150 && (output.match(/ALERT \[SCAN COMPLETE\]/g) ?? []).length < 2; i++) await new Promise((r) => setTimeout(r, 500));
    expect(output).toMatch(new RegExp(`ALERT \\[SCAN COMPLETE\\] project ${PROJECT}/local: 1500 snapshots`));
    expect(output).toMatch(/ALERT \[HIGH\] ERROR_STATUS snapshot [0-9a-f-]{36} /);
  }, 90_000);
});
