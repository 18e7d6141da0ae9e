import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { createSender, retryAfterMs } from '../../lib/notify/send';
import { createSecretFetch } from '../../lib/secrets/reader';
import { startLocalSecrets } from '../../tools/local/secrets';
import { startScriptedServer } from '../helpers/scripted-server';

const message = { kind: 'http-json' as const, body: { hello: 'world' } };

describe('sending to a destination', () => {
  it('posts to the URL held in Secrets Manager, reads it once, and reads it again when the destination says the URL is gone', async () => {
    const store = await startLocalSecrets();
    const hook = await startScriptedServer((req) => ({ status: req.url === '/hooks/live' ? 204 : 404 }));
    try {
      const arn = store.putSecret('alerts/webhook', `${hook.url}/hooks/old`);
      const secretsManager = new SecretsManagerClient({
        endpoint: store.url,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      const send = createSender({
        fetchSecret: createSecretFetch({ maxAgeSeconds: 300, secretsManager }),
        timeoutMs: 2_000,
      });
      const destination = {
        kind: 'webhook' as const,
        name: 'ops',
        address: { secret: { store: 'secretsmanager' as const, id: arn } },
      };
      // Revoked and not rotated: a failure that is not retried, and whose description holds no URL.
      const refused = await send(destination, message);
      expect(refused).toEqual({ ok: false, retryable: false, status: 404, error: 'HTTP 404' });
      expect(store.countCalls(arn)).toBe(2);
      store.putSecret('alerts/webhook', `${hook.url}/hooks/live`);
      expect(await send(destination, message)).toEqual({ ok: true, status: 204 });
      expect(await send(destination, message)).toEqual({ ok: true, status: 204 });
      expect(hook.requests.map((r) => r.url)).toEqual(['/hooks/old', '/hooks/old', '/hooks/live', '/hooks/live']);
      expect(JSON.parse(hook.requests[2]?.body ?? '')).toEqual({ hello: 'world' });
      expect(store.countCalls(arn)).toBe(3);
    } finally {
      await Promise.all([store.close(), hook.close()]);
    }
  });

  it('retries 429 and 5xx with the wait the destination asks for, and not 400', async () => {
    const answers = [{ status: 429, headers: { 'Retry-After': '7' } }, { status: 502 }, { status: 400 }];
    const hook = await startScriptedServer((_r, n) => answers[n - 1] ?? { status: 200 });
    try {
      const send = createSender({ timeoutMs: 2_000 });
      const destination = { kind: 'alertmanager' as const, name: 'am', address: { url: hook.url } };
      expect(await send(destination, message)).toEqual({
        ok: false,
        retryable: true,
        status: 429,
        retryAfterMs: 7_000,
        error: 'HTTP 429',
      });
      expect(await send(destination, message)).toEqual({ ok: false, retryable: true, status: 502, error: 'HTTP 502' });
      expect(await send(destination, message)).toEqual({ ok: false, retryable: false, status: 400, error: 'HTTP 400' });
      // Alertmanager's API path is added to its base URL.
      expect(hook.requests.map((r) => r.url)).toEqual(['/api/v2/alerts', '/api/v2/alerts', '/api/v2/alerts']);
    } finally {
      await hook.close();
    }
  });

  it('reads Retry-After as seconds or an HTTP date, at most an hour', () => {
    const now = Date.parse('2026-03-02T10:00:00Z');
    expect(retryAfterMs('30', now)).toBe(30_000);
    expect(retryAfterMs('Mon, 02 Mar 2026 10:02:00 GMT', now)).toBe(120_000);
    expect(retryAfterMs('99999', now)).toBe(3_600_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
