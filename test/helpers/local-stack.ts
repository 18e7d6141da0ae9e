import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './ports';
import { startScriptedServer } from './scripted-server';

/**
 * `npm start` as a user runs it (scripts/start-local.ts), on ports the OS says are free, with a
 * loopback webhook as ALERT_WEBHOOK_URL answering `hookStatus`; resolves once it says it is ready.
 */
export async function startLocalStack(hookStatus: number) {
  const PORTS = {
    PROXY_PORT: String(await freePort()),
    LAMBDA_PORT: String(await freePort()),
    EMULATOR_PORT: String(await freePort()),
    EVENTBRIDGE_PORT: String(await freePort()),
    DYNAMODB_PORT: String(await freePort()),
    SQS_PORT: String(await freePort()),
    S3_PORT: String(await freePort()),
  };
  const hook = await startScriptedServer(() =>
    hookStatus === 200 ? { status: 200 } : { status: hookStatus, body: '{"message": "no such hook"}' },
  );
  const env: NodeJS.ProcessEnv = { ...process.env, ...PORTS, LOG_LEVEL: 'warn', ALERT_WEBHOOK_URL: `${hook.url}/hook` };
  for (const key of [
    'EVS_ENDPOINT',
    'EVS_AUTH',
    'ALLOWED_PROJECT_IDS',
    'SCAN_PROJECT_IDS',
    'NOTIFY_ROUTES_FILE',
    'ALERT_WEBHOOK_SECRET',
  ])
    delete env[key];
  const stack: ChildProcess = spawn('node_modules/.bin/tsx', ['scripts/start-local.ts'], { env, detached: true });
  let output = '';
  stack.stdout?.on('data', (c) => (output += c));
  stack.stderr?.on('data', (c) => (output += c));
  for (let i = 0; i < 120 && !output.includes('[local] ready'); i++) await new Promise((r) => setTimeout(r, 500));
  return {
    base: `http://127.0.0.1:${PORTS.PROXY_PORT}`,
    emulatorUrl: `http://127.0.0.1:${PORTS.EMULATOR_PORT}`,
    reportUrl: `http://127.0.0.1:${PORTS.S3_PORT}/evs-snapshot-sentinel-local-reports`,
    hook,
    stack,
    output: () => output,
    async stop() {
      if (stack.pid) process.kill(-stack.pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      await hook.close();
    },
  };
}
