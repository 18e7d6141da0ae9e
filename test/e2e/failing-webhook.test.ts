import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports';
import { startScriptedServer } from '../helpers/scripted-server';

// `npm start` whose ALERT_WEBHOOK_URL answers 404 to everything: the notifier gives the digest up
// (a 404 will not get better by retrying), says so, and the local stack goes on serving.
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
let base = '';
let stack: ChildProcess;
let output = '';
let hook: Awaited<ReturnType<typeof startScriptedServer>>;

beforeAll(async () => {
  const PORTS = { PROXY_PORT: String(await freePort()), LAMBDA_PORT: String(await freePort()), EMULATOR_PORT: String(await freePort()), EVENTBRIDGE_PORT: String(await freePort()), DYNAMODB_PORT: String(await freePort()), SQS_PORT: String(await freePort()), S3_PORT: String(await freePort()) };
  base = `http://127.0.0.1:${PORTS.PROXY_PORT}`;
  hook = await startScriptedServer(() => ({ status: 404, body: '{"message": "no such hook"}' }));
  const env: NodeJS.ProcessEnv = { ...process.env, ...PORTS, LOG_LEVEL: 'warn', ALERT_WEBHOOK_URL: `${hook.url}/hook` };
  for (const key of ['EVS_ENDPOINT', 'EVS_AUTH', 'ALLOWED_PROJECT_IDS', 'SCAN_PROJECT_IDS', 'NOTIFY_ROUTES_FILE', 'ALERT_WEBHOOK_SECRET']) delete env[key];
  stack = spawn('node_modules/.bin/tsx', ['scripts/start-local.ts'], { env, detached: true });
  stack.stdout?.on('data', (c) => (output += c));
  stack.stderr?.on('data', (c) => (output += c));
  for (let i = 0; i < 120 && !output.includes('[local] ready'); i++) await new Promise((r) => setTimeout(r, 500));
  expect(output).toContain('[local] ready');
}, 90_000);

afterAll(async () => {
  if (stack.pid) process.kill(-stack.pid, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await hook?.close();
});

describe('npm start with a webhook that answers 404', () => {
  it('reports the undeliverable digest, without the webhook URL, and keeps serving', async () => {
    for (let i = 0; i < 360 && !(hook.requests.length > 0 && output.includes('notification undeliverable')); i++) await new Promise((r) => setTimeout(r, 500));
    expect(hook.requests.length).toBeGreaterThan(0);
    expect(output).toContain('notification undeliverable');
    expect(output).not.toContain(hook.url);
    expect(output).not.toContain('serverless-offline exited');
    expect(stack.exitCode).toBeNull();
    expect((await fetch(`${base}/v2/${PROJECT}/snapshots?limit=1`)).status).toBe(200);
  }, 200_000);
});
