/**
 * Upstream credentials from Secrets Manager and SSM: the real SDK clients through Powertools
 * Parameters, against a local endpoint speaking their API, and the EVS emulator checking AK/SK
 * signatures. Cached across requests, read again once when the upstream refuses them (rotation),
 * never shown to callers or logs.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createScanSnapshotsHandler, scanSnapshotsDepsFromEnv } from '../../functions/scan-snapshots';
import { createLogger } from '../../lib/observability/log';
import { createSecretFetch } from '../../lib/secrets/reader';
import type { AkSkCredentials } from '../../lib/upstream/signer';
import { generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { type LocalSecrets, startLocalSecrets } from '../../tools/local/secrets';
import { httpApiEvent, lambdaContext, loadEvent } from '../helpers/events';
import { SAMPLE_PROJECT } from '../helpers/fleet';
import { importProxyHandler } from '../helpers/handler';
import { startScriptedServer } from '../helpers/scripted-server';

const OLD: AkSkCredentials = { ak: 'AKOLDFAKE00000000001', sk: 'sk-OLD-FAKE-never-shown-1b2c' };
const NEW: AkSkCredentials = { ak: 'AKNEWFAKE00000000002', sk: 'sk-NEW-FAKE-never-shown-9f8e' };
const secretText = (c: AkSkCredentials) => JSON.stringify({ ak: c.ak, sk: c.sk });

let emulator: RunningEmulator;
let store: LocalSecrets;
let bus: LocalEventBridge;
/** What the emulator accepts; replaced to rotate the key upstream. */
const accepted: { mode: 'aksk'; credentials: AkSkCredentials[] } = { mode: 'aksk', credentials: [OLD] };
const logs: string[] = [];
const logger = () => createLogger({}, (line) => logs.push(line), 'debug');
const clientConfig = () => ({
  endpoint: store.url,
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
/** The production reader, its SDK clients aimed at the local endpoint. */
const io = (maxAgeSeconds = 300) => ({
  fetchSecret: createSecretFetch({
    maxAgeSeconds,
    secretsManager: new SecretsManagerClient(clientConfig()),
    ssm: new SSMClient(clientConfig()),
  }),
});

beforeAll(async () => {
  emulator = await startEmulator({
    projects: generateFleet({ seed: 'secrets', size: 40, projects: [SAMPLE_PROJECT] }).projects,
    auth: accepted,
  });
  store = await startLocalSecrets();
  bus = await startLocalEventBridge();
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
  });
});
afterAll(async () => {
  await Promise.all([emulator.close(), store.close(), bus.close()]);
});
beforeEach(() => {
  accepted.credentials = [OLD];
  logs.length = 0;
});

const proxyEnv = (secret: string) => ({
  EVS_ENDPOINT: emulator.url,
  EVS_AUTH: 'aksk',
  EVS_CREDENTIALS_SECRET: secret,
  ALLOWED_PROJECT_IDS: SAMPLE_PROJECT,
  EVS_MAX_ATTEMPTS: '1',
});
const list = async (handler: Awaited<ReturnType<typeof importProxyHandler>>) =>
  handler(httpApiEvent({ query: 'limit=5' }), lambdaContext(5_000));

function expectNoSecret(text: string) {
  for (const secret of [OLD.sk, NEW.sk, 'Signature=']) expect(text.includes(secret), `contains ${secret}`).toBe(false);
}

describe('credentials from a secret', () => {
  it('signs with the AK/SK held in Secrets Manager, reading the secret once for many requests', async () => {
    const arn = store.putSecret('evs/cache', secretText(OLD));
    const handler = await importProxyHandler(proxyEnv(arn), logger(), io());
    for (let i = 0; i < 5; i++) {
      const answer = await list(handler);
      expect(answer.statusCode).toBe(200);
      expect(JSON.parse(answer.body).snapshots).toHaveLength(5);
    }
    expect(store.countCalls(arn)).toBe(1);
    expectNoSecret(logs.join('\n'));
  });

  it('reads a rotated key again when the upstream refuses the cached one, and answers with the new key', async () => {
    const arn = store.putSecret('evs/rotate', secretText(OLD));
    const handler = await importProxyHandler(proxyEnv(arn), logger(), io());
    expect((await list(handler)).statusCode).toBe(200);
    // Rotation: the new key is in the secret and the old one is revoked upstream.
    store.putSecret('evs/rotate', secretText(NEW));
    accepted.credentials = [NEW];
    const answer = await list(handler);
    expect(answer.statusCode).toBe(200);
    expect(store.countCalls(arn)).toBe(2);
    // And keeps the new one: no further reads.
    expect((await list(handler)).statusCode).toBe(200);
    expect(store.countCalls(arn)).toBe(2);
  });

  it('lets a refusal stand when the secret has not changed, and does not read the secret on every refused request', async () => {
    const arn = store.putSecret('evs/wrong', secretText(OLD));
    accepted.credentials = [NEW];
    const handler = await importProxyHandler(proxyEnv(arn), logger(), io());
    const first = await list(handler);
    expect(first.statusCode).toBe(502);
    expect(JSON.parse(first.body).computeFault.code).toBe('UPSTREAM_AUTH_FAILED');
    // The first read, and one forced read after the refusal; the next refusal within 30 s reads nothing.
    expect(store.countCalls(arn)).toBe(2);
    expect((await list(handler)).statusCode).toBe(502);
    expect(store.countCalls(arn)).toBe(2);
    expectNoSecret(first.body + logs.join('\n'));
  });

  it('answers 503 CREDENTIALS_UNAVAILABLE in the seed error shape when the secret does not exist, naming nothing secret', async () => {
    const handler = await importProxyHandler(proxyEnv('evs/never-created'), logger(), io());
    const answer = await list(handler);
    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({
      serviceUnavailable: {
        code: 'CREDENTIALS_UNAVAILABLE',
        message: "The service's upstream credentials could not be read.",
      },
    });
    expect(logs.join('\n')).toContain('ResourceNotFoundException');
  });

  it.each([
    ['not JSON', `ak=${OLD.ak} sk=${OLD.sk}`, 'is not JSON'],
    ['missing sk', JSON.stringify({ ak: OLD.ak }), 'must hold both "ak" and "sk"'],
    ['an unknown field', JSON.stringify({ ak: OLD.ak, sk: OLD.sk, password: OLD.sk }), 'has the field "password"'],
  ])('refuses a secret that is %s with a log line naming the problem, never the value', async (_label, text, why) => {
    const arn = store.putSecret(`evs/bad-${why.length}`, text);
    const handler = await importProxyHandler(proxyEnv(arn), logger(), io());
    const answer = await list(handler);
    expect(answer.statusCode).toBe(503);
    expect(logs.join('\n')).toContain(JSON.stringify(why).slice(1, -1));
    expectNoSecret(answer.body + logs.join('\n'));
  });

  it('keeps the last good credentials while Secrets Manager is failing', async () => {
    let failing = false;
    const flaky = await startLocalSecrets({
      failCall: () => (failing ? { status: 500, type: 'InternalServiceError', message: 'down' } : undefined),
    });
    try {
      const arn = flaky.putSecret('evs/flaky', secretText(OLD));
      const config = {
        endpoint: flaky.url,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      };
      // maxAge 0: every request would read the secret again.
      const handler = await importProxyHandler(proxyEnv(arn), logger(), {
        fetchSecret: createSecretFetch({ maxAgeSeconds: 0, secretsManager: new SecretsManagerClient(config) }),
      });
      expect((await list(handler)).statusCode).toBe(200);
      failing = true;
      expect((await list(handler)).statusCode).toBe(200);
      expect((await list(handler)).statusCode).toBe(200);
      // One failed read, then the store is left alone for a while rather than asked on every request.
      expect(flaky.countCalls(arn)).toBe(2);
    } finally {
      await flaky.close();
    }
  });

  it('scans with credentials from an SSM SecureString, and reports an unreadable secret as Scan Failed', async () => {
    store.putParameter('/evs/scan', secretText(OLD));
    const scan = async (secret: string) => {
      const deps = scanSnapshotsDepsFromEnv(
        {
          EVS_ENDPOINT: emulator.url,
          EVS_AUTH: 'aksk',
          EVS_CREDENTIALS_SECRET: secret,
          SCAN_PROJECT_IDS: SAMPLE_PROJECT,
          EVENT_BUS_NAME: 'evs-sentinel-test',
          SCAN_RESERVE_MS: '200',
        },
        logger(),
        io(),
      );
      const handler = createScanSnapshotsHandler(deps) as unknown as (
        e: unknown,
        c: Context,
      ) => Promise<{
        ok: boolean;
        projects: Array<{ complete: boolean; snapshotsRead: number; failureCode?: string }>;
      }>;
      return handler(loadEvent('scheduled-scan.json'), lambdaContext(10_000));
    };
    const good = await scan('ssm:/evs/scan');
    expect(good.ok).toBe(true);
    expect(good.projects[0]).toMatchObject({ complete: true, snapshotsRead: 40 });
    expect(store.countCalls('/evs/scan')).toBe(1);

    const before = bus.received.length;
    const bad = await scan('ssm:/evs/missing');
    expect(bad.ok).toBe(false);
    expect(bad.projects[0]).toMatchObject({ complete: false, snapshotsRead: 0 });
    const failed = bus.received
      .slice(before)
      .filter((e) => e.DetailType === 'EVS Snapshot Scan Failed')
      .map((e) => JSON.parse(e.Detail));
    expect(failed.map((d) => d.failureCode)).toEqual(['CREDENTIALS_UNAVAILABLE']);
    expectNoSecret(JSON.stringify(bus.received) + logs.join('\n'));
  });

  it('fetches an IAM token with the password held in the secret, and reads a rotated password again when IAM refuses the old one', async () => {
    let password = 'pw-OLD-FAKE-never-shown';
    const iam = await startScriptedServer((_req, _n, body) =>
      JSON.parse(body).auth.identity.password.user.password === password
        ? {
            status: 201,
            body: JSON.stringify({ token: { expires_at: '2099-01-01T00:00:00Z' } }),
            headers: { 'X-Subject-Token': `issued-for-${password.length}` },
          }
        : {
            status: 401,
            body: JSON.stringify({
              error: { code: 401, message: 'The request you have made requires authentication.' },
            }),
          },
    );
    const tokens = { mode: 'token' as const, tokens: ['issued-for-23'] };
    const tokenEmulator = await startEmulator({
      projects: generateFleet({ seed: 'secrets', size: 10, projects: [SAMPLE_PROJECT] }).projects,
      auth: tokens,
    });
    try {
      const arn = store.putSecret('evs/iam', JSON.stringify({ password }));
      const env = {
        EVS_ENDPOINT: tokenEmulator.url,
        EVS_AUTH: 'token',
        EVS_CREDENTIALS_SECRET: arn,
        EVS_IAM_ENDPOINT: iam.url,
        EVS_IAM_USER: 'svc',
        EVS_IAM_DOMAIN: 'acme',
        ALLOWED_PROJECT_IDS: SAMPLE_PROJECT,
        EVS_MAX_ATTEMPTS: '1',
      };
      const handler = await importProxyHandler(env, logger(), io());
      expect((await list(handler)).statusCode).toBe(200);
      // Rotation: a new password in IAM and in the secret, and the old password's token revoked.
      password = 'pw-NEW-FAKE-never-shown!';
      store.putSecret('evs/iam', JSON.stringify({ password }));
      tokens.tokens = ['issued-for-24'];
      // EVS refuses the token; IAM refuses the cached password; the secret is read again; the new password works.
      expect((await list(handler)).statusCode).toBe(200);
      expect(iam.requests.length).toBe(3);
      expect(store.countCalls(arn)).toBe(2);
      expect(logs.join('\n')).not.toContain('pw-');
    } finally {
      await Promise.all([iam.close(), tokenEmulator.close()]);
    }
  });
});
