/**
 * With LOG_LEVEL=debug and known fake secrets, nothing the proxy or the scanner logs, answers or
 * publishes contains a secret key, password, token, signature or Authorization header, on the
 * success path and on every failure path.
 */
import type { IncomingMessage } from 'node:http';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScanSnapshotsHandler, scanSnapshotsDepsFromEnv } from '../../functions/scan-snapshots';
import { createLogger } from '../../lib/observability/log';
import { createSecretFetch, type SecretFetch } from '../../lib/secrets/reader';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { type LocalSecrets, startLocalSecrets } from '../../tools/local/secrets';
import { httpApiEvent, lambdaContext, loadEvent } from '../helpers/events';
import { SAMPLE_PROJECT } from '../helpers/fleet';
import { importProxyHandler } from '../helpers/handler';
import { type ScriptedReply, startScriptedServer } from '../helpers/scripted-server';

const SECRETS = {
  HUAWEICLOUD_SDK_AK: 'AKFAKEEXAMPLE0000001',
  HUAWEICLOUD_SDK_SK: 'sk-FAKE-do-not-leak-7f3a9c',
  HUAWEICLOUD_SDK_SECURITY_TOKEN: 'sectok-FAKE-do-not-leak-51b2',
  EVS_TOKEN: 'token-FAKE-do-not-leak-c0ffee',
  EVS_IAM_PASSWORD: 'password-FAKE-do-not-leak-9d8e',
};
const ISSUED_TOKEN = 'issued-FAKE-do-not-leak-4242';
const FORBIDDEN = [
  SECRETS.HUAWEICLOUD_SDK_SK,
  SECRETS.HUAWEICLOUD_SDK_SECURITY_TOKEN,
  SECRETS.EVS_TOKEN,
  SECRETS.EVS_IAM_PASSWORD,
  ISSUED_TOKEN,
  'Signature=',
  'authorization',
  'x-auth-token',
  'x-security-token',
];

let reply: (req: IncomingMessage, n: number) => ScriptedReply;
let upstream: Awaited<ReturnType<typeof startScriptedServer>>;
let iam: Awaited<ReturnType<typeof startScriptedServer>>;
let bus: LocalEventBridge;
let store: LocalSecrets;
let secretArn: string;
let io: { fetchSecret: SecretFetch };
const seen: string[] = [];
const debugLogger = () => createLogger({}, (line) => seen.push(line), 'debug');

const page = JSON.stringify({
  snapshots: [
    {
      id: '00000000-0000-4000-8000-000000000001',
      status: 'error',
      name: 'n',
      description: null,
      created_at: '2026-01-01T00:00:00',
      updated_at: null,
      metadata: {},
      volume_id: 'v',
      size: 1,
    },
  ],
});
const failures: Array<[string, ScriptedReply]> = [
  ['success', { status: 200, body: page }],
  [
    'a signature failure that echoes the request',
    {
      status: 401,
      body: JSON.stringify({
        error_code: 'APIGW.0301',
        error_msg: `verify aksk signature fail: Authorization: SDK-HMAC-SHA256 Access=${SECRETS.HUAWEICLOUD_SDK_AK}, Signature=abc; X-Auth-Token ${SECRETS.EVS_TOKEN}`,
      }),
    },
  ],
  [
    'a 5xx that echoes headers',
    {
      status: 500,
      body: `x-auth-token: ${SECRETS.EVS_TOKEN} x-security-token: ${SECRETS.HUAWEICLOUD_SDK_SECURITY_TOKEN}`,
    },
  ],
  [
    'a 400 that echoes headers',
    {
      status: 400,
      body: JSON.stringify({
        badRequest: {
          code: 400,
          message: `bad X-Auth-Token ${SECRETS.EVS_TOKEN} Signature=${SECRETS.HUAWEICLOUD_SDK_SK}`,
        },
      }),
    },
  ],
  [
    'a redirect',
    {
      status: 302,
      body: `go to http://x/?token=${SECRETS.EVS_TOKEN}`,
      headers: { Location: `http://x/?sk=${SECRETS.HUAWEICLOUD_SDK_SK}` },
    },
  ],
  ['a body that is not a list', { status: 200, body: `<html>${SECRETS.EVS_TOKEN}</html>` }],
  ['a timeout', { status: 200, body: page, delayMs: 1_500 }],
];

beforeAll(async () => {
  upstream = await startScriptedServer((req, n) => reply(req, n));
  iam = await startScriptedServer(() => ({
    status: 201,
    body: JSON.stringify({ token: { expires_at: '2099-01-01T00:00:00Z' } }),
    headers: { 'X-Subject-Token': ISSUED_TOKEN },
  }));
  bus = await startLocalEventBridge();
  store = await startLocalSecrets();
  secretArn = store.putSecret(
    'evs/debug',
    JSON.stringify({
      ak: SECRETS.HUAWEICLOUD_SDK_AK,
      sk: SECRETS.HUAWEICLOUD_SDK_SK,
      securityToken: SECRETS.HUAWEICLOUD_SDK_SECURITY_TOKEN,
    }),
  );
  io = {
    fetchSecret: createSecretFetch({
      maxAgeSeconds: 300,
      secretsManager: new SecretsManagerClient({
        endpoint: store.url,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }),
    }),
  };
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
  });
});
afterAll(async () => {
  await upstream.close();
  await iam.close();
  await bus.close();
  await store.close();
});

const modes = (): Array<[string, Record<string, string>]> => [
  [
    'aksk',
    {
      EVS_AUTH: 'aksk',
      HUAWEICLOUD_SDK_AK: SECRETS.HUAWEICLOUD_SDK_AK,
      HUAWEICLOUD_SDK_SK: SECRETS.HUAWEICLOUD_SDK_SK,
      HUAWEICLOUD_SDK_SECURITY_TOKEN: SECRETS.HUAWEICLOUD_SDK_SECURITY_TOKEN,
    },
  ],
  ['static token', { EVS_AUTH: 'token', EVS_TOKEN: SECRETS.EVS_TOKEN }],
  [
    'IAM password',
    {
      EVS_AUTH: 'token',
      EVS_IAM_ENDPOINT: iam.url,
      EVS_IAM_USER: 'u',
      EVS_IAM_PASSWORD: SECRETS.EVS_IAM_PASSWORD,
      EVS_IAM_DOMAIN: 'd',
    },
  ],
  ['aksk from Secrets Manager', { EVS_AUTH: 'aksk', EVS_CREDENTIALS_SECRET: secretArn }],
];

/** A secret as an upstream could echo it: in any case, base64 (and url-safe), %-encoded. */
const encodings = (secret: string) => [
  secret,
  Buffer.from(secret).toString('base64').replace(/=+$/, ''),
  Buffer.from(secret).toString('base64url'),
  encodeURIComponent(secret).replace(/-/g, '%2D'),
];

function expectNoSecret(text: string, where: string) {
  for (const secret of FORBIDDEN)
    expect(text.toLowerCase().includes(secret.toLowerCase()), `${where} contains ${secret}`).toBe(false);
  for (const secret of FORBIDDEN.slice(0, 5))
    for (const form of encodings(secret).slice(1))
      expect(text.includes(form), `${where} contains ${secret} encoded as ${form}`).toBe(false);
}

/** What each auth mode holds, so what an upstream answering it could echo. */
const heldBy: Record<string, string[]> = {
  aksk: [SECRETS.HUAWEICLOUD_SDK_SK, SECRETS.HUAWEICLOUD_SDK_SECURITY_TOKEN],
  'static token': [SECRETS.EVS_TOKEN],
  'IAM password': [ISSUED_TOKEN, SECRETS.EVS_IAM_PASSWORD],
  'aksk from Secrets Manager': [SECRETS.HUAWEICLOUD_SDK_SK, SECRETS.HUAWEICLOUD_SDK_SECURITY_TOKEN],
};

/** Every place an upstream can put a string the service passes on, each holding the secret. */
const echoes = (secret: string): Array<[string, ScriptedReply]> => [
  ['an error code', { status: 400, body: JSON.stringify({ error: { code: secret, message: 'no' } }) }],
  ['a Cinder fault code', { status: 400, body: JSON.stringify({ badRequest: { code: secret, message: 'no' } }) }],
  ['x-request-id on a 5xx', { status: 500, body: '{}', headers: { 'X-Request-Id': secret } }],
  ['x-openstack-request-id on a 200', { status: 200, body: page, headers: { 'X-Openstack-Request-Id': secret } }],
  [
    'x-request-id as a request id of the right shape prefixed',
    { status: 200, body: page, headers: { 'X-Request-Id': `req-${secret}` } },
  ],
  [
    'an API Gateway request_id',
    { status: 401, body: JSON.stringify({ error_code: 'APIGW.0301', error_msg: 'no', request_id: secret }) },
  ],
  [
    'a message with it lowercased, uppercased, base64 and %-encoded',
    {
      status: 400,
      body: JSON.stringify({
        badRequest: {
          code: 400,
          message: `a ${secret.toLowerCase()} b ${secret.toUpperCase()} c ${encodings(secret).slice(1).join(' d ')}`,
        },
      }),
    },
  ],
];

describe('no secret in logs, answers or events (LOG_LEVEL=debug)', () => {
  it.each(failures)('the proxy, for every auth mode, on %s', async (_label, answer) => {
    reply = () => answer;
    for (const [mode, env] of modes()) {
      seen.length = 0;
      const handler = await importProxyHandler(
        {
          EVS_ENDPOINT: upstream.url,
          ALLOWED_PROJECT_IDS: SAMPLE_PROJECT,
          EVS_TIMEOUT_MS: '500',
          EVS_MAX_ATTEMPTS: '2',
          EVS_RETRY_BASE_MS: '1',
          LOG_LEVEL: 'debug',
          ...env,
        },
        debugLogger(),
        io,
      );
      const result = await handler(httpApiEvent(), lambdaContext(3_000));
      expectNoSecret(JSON.stringify(result), `${mode} answer`);
      expectNoSecret(seen.join('\n'), `${mode} log`);
    }
  });

  it.each(failures)('the scanner, for every auth mode, on %s', async (_label, answer) => {
    reply = () => answer;
    for (const [mode, env] of modes()) {
      seen.length = 0;
      const before = bus.received.length;
      const deps = scanSnapshotsDepsFromEnv(
        {
          EVS_ENDPOINT: upstream.url,
          SCAN_PROJECT_IDS: SAMPLE_PROJECT,
          EVS_TIMEOUT_MS: '500',
          EVS_MAX_ATTEMPTS: '2',
          EVS_RETRY_BASE_MS: '1',
          SCAN_RESERVE_MS: '200',
          LOG_LEVEL: 'debug',
          ...env,
        },
        debugLogger(),
        io,
      );
      const handler = createScanSnapshotsHandler(deps) as unknown as (e: unknown, c: Context) => Promise<unknown>;
      const result = await handler(loadEvent('scheduled-scan.json'), lambdaContext(5_000));
      expectNoSecret(JSON.stringify(result), `${mode} result`);
      expectNoSecret(seen.join('\n'), `${mode} log`);
      expectNoSecret(JSON.stringify(bus.received.slice(before)), `${mode} events`);
      expect(bus.received.length).toBeGreaterThan(before);
    }
  });

  it('drops or scrubs a credential an upstream echoes in a code, a request id or a message, in any encoding, for every auth mode (proxy and scanner)', async () => {
    for (const [mode, env] of modes()) {
      for (const secret of heldBy[mode] ?? []) {
        for (const [where, answer] of echoes(secret)) {
          reply = () => answer;
          seen.length = 0;
          const proxy = await importProxyHandler(
            {
              EVS_ENDPOINT: upstream.url,
              ALLOWED_PROJECT_IDS: SAMPLE_PROJECT,
              EVS_TIMEOUT_MS: '500',
              EVS_MAX_ATTEMPTS: '1',
              LOG_LEVEL: 'debug',
              ...env,
            },
            debugLogger(),
            io,
          );
          const answered = await proxy(httpApiEvent(), lambdaContext(3_000));
          expectNoSecret(JSON.stringify(answered), `${mode}: proxy answer to ${where}`);
          expectNoSecret(seen.join('\n'), `${mode}: proxy log of ${where}`);
          seen.length = 0;
          const before = bus.received.length;
          const scan = createScanSnapshotsHandler(
            scanSnapshotsDepsFromEnv(
              {
                EVS_ENDPOINT: upstream.url,
                SCAN_PROJECT_IDS: SAMPLE_PROJECT,
                EVS_TIMEOUT_MS: '500',
                EVS_MAX_ATTEMPTS: '1',
                SCAN_RESERVE_MS: '200',
                LOG_LEVEL: 'debug',
                ...env,
              },
              debugLogger(),
              io,
            ),
          ) as unknown as (e: unknown, c: Context) => Promise<unknown>;
          const result = await scan(loadEvent('scheduled-scan.json'), lambdaContext(5_000));
          expectNoSecret(JSON.stringify(result), `${mode}: scan result of ${where}`);
          expectNoSecret(seen.join('\n'), `${mode}: scan log of ${where}`);
          expectNoSecret(JSON.stringify(bus.received.slice(before)), `${mode}: events of ${where}`);
        }
      }
    }
  }, 120_000);

  it('refuses a bad configuration without echoing the secrets it was given', async () => {
    seen.length = 0;
    const handler = await importProxyHandler(
      {
        EVS_ENDPOINT: 'ftp://nope',
        EVS_AUTH: 'aksk',
        HUAWEICLOUD_SDK_AK: SECRETS.HUAWEICLOUD_SDK_AK,
        HUAWEICLOUD_SDK_SK: SECRETS.HUAWEICLOUD_SDK_SK,
        ALLOWED_PROJECT_IDS: SAMPLE_PROJECT,
      },
      debugLogger(),
    );
    const result = await handler(httpApiEvent(), lambdaContext());
    expect(result.statusCode).toBe(500);
    expectNoSecret(JSON.stringify(result), 'answer');
    expectNoSecret(seen.join('\n'), 'log');
  });
});
