import { readdirSync } from 'node:fs';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadEvent } from '../helpers/events';
import { schemaErrors } from '../helpers/schemas';
import { startScriptedServer } from '../helpers/scripted-server';

type Handler = (event: EventBridgeEvent<string, unknown>, context: Context) => Promise<{ delivered: boolean }>;
const samples = readdirSync(new URL('../../events/samples/', import.meta.url)).filter((f) => f.endsWith('.json'));

async function importSubscriber(env: Record<string, string> = {}): Promise<Handler> {
  vi.resetModules();
  delete process.env.ALERT_WEBHOOK_URL;
  Object.assign(process.env, env);
  return ((await import('../../functions/alert-subscriber')) as unknown as { handler: Handler }).handler;
}

function captureStdout(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  return { lines, restore: () => spy.mockRestore() };
}

afterEach(() => {
  delete process.env.ALERT_WEBHOOK_URL;
});

describe('committed sample events', () => {
  it.each(samples)('%s is valid against the schema of its detail-type', (file) => {
    const event = loadEvent<EventBridgeEvent<string, unknown>>(`samples/${file}`);
    expect(schemaErrors(event['detail-type'], event.detail)).toEqual([]);
  });
});

describe('alert subscriber (middy-wrapped, events/samples fixtures)', () => {
  it('prints one readable line per scanner event', async () => {
    const handler = await importSubscriber();
    const out = captureStdout();
    try {
      await handler(loadEvent('samples/finding-error-status.json'), {} as Context);
      await handler(loadEvent('samples/scan-summary-incomplete.json'), {} as Context);
      await handler(loadEvent('samples/scan-failed.json'), {} as Context);
    } finally {
      out.restore();
    }
    const alerts = out.lines.filter((l) => l.startsWith('ALERT '));
    expect(alerts[0]).toMatch(/^ALERT \[HIGH\] ERROR_STATUS snapshot [0-9a-f-]{36} ".*" \(volume [0-9a-f-]{36}, \d+ GB, error(_deleting)?\) in project 0a1b2c3d4e5f60718293a4b5c6d7e8f9\/eu-de: Snapshot is in status/);
    expect(alerts[1]).toContain('[SCAN INCOMPLETE (UPSTREAM_ERROR)] project f9e8d7c6b5a4938271605f4e3d2c1b0a/eu-de');
    expect(alerts[2]).toContain('[SCAN FAILED] project f9e8d7c6b5a4938271605f4e3d2c1b0a/eu-de: UPSTREAM_ERROR: The upstream failed with HTTP 503.');
  });

  it('prints a finding about a volume, which has no snapshot, with the volume it is about', async () => {
    const handler = await importSubscriber();
    const out = captureStdout();
    try {
      await handler(loadEvent('samples/finding-unprotected-volume.json'), {} as Context);
      await handler(loadEvent('samples/finding-excess-retention.json'), {} as Context);
    } finally {
      out.restore();
    }
    const alerts = out.lines.filter((l) => l.startsWith('ALERT '));
    expect(alerts[0]).toMatch(/^ALERT \[MEDIUM\] UNPROTECTED_VOLUME volume [0-9a-f-]{36} "db-data-01" \(500 GB, in-use\) in project 0a1b2c3d4e5f60718293a4b5c6d7e8f9\/eu-de: Volume [0-9a-f-]{36} \(in-use\) has had no new snapshot for 10 days/);
    expect(alerts[1]).toMatch(/^ALERT \[LOW\] EXCESS_RETENTION snapshot [0-9a-f-]{36} .* Snapshot is the 9th newest of volume [0-9a-f-]{36}'s snapshots under rule keep-seven-per-disk, which keeps the newest 7\./);
  });

  it('posts the line to the webhook, and fails the invocation when the webhook does (so Lambda retries)', async () => {
    let status = 200;
    const hook = await startScriptedServer(() => ({ status }));
    try {
      const handler = await importSubscriber({ ALERT_WEBHOOK_URL: `${hook.url}/alerts` });
      const out = captureStdout();
      try {
        await handler(loadEvent('samples/finding-stuck.json'), {} as Context);
        status = 500;
        await expect(handler(loadEvent('samples/finding-stuck.json'), {} as Context)).rejects.toThrow('alert webhook answered HTTP 500');
      } finally {
        out.restore();
      }
      expect(hook.requests[0]?.url).toBe('/alerts');
      expect(JSON.parse(hook.requests[0]?.body ?? '{}').text).toMatch(/^\[MEDIUM\] STUCK snapshot /);
    } finally {
      await hook.close();
    }
  });

  it('ignores events it does not know, without failing', async () => {
    const handler = await importSubscriber();
    const event = { ...loadEvent<EventBridgeEvent<string, unknown>>('samples/scan-failed.json'), 'detail-type': 'Something Else' };
    await expect(handler(event, {} as Context)).resolves.toEqual({ delivered: false });
  });
});

describe('alert subscriber with the webhook URL in a secret', () => {
  it('posts to the URL held in Secrets Manager, reads it once, and reads it again when the webhook says the URL is gone', async () => {
    const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const { createAlertSubscriberHandler } = await import('../../functions/alert-subscriber');
    const { createSecretFetch } = await import('../../lib/secrets/reader');
    const { createLogger } = await import('../../lib/log');
    const { startLocalSecrets } = await import('../../tools/local/secrets');
    const store = await startLocalSecrets();
    const hook = await startScriptedServer((req) => ({ status: req.url === '/hooks/live' ? 204 : 404 }));
    try {
      const arn = store.putSecret('alerts/webhook', `${hook.url}/hooks/old`);
      const secretsManager = new SecretsManagerClient({ endpoint: store.url, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const logs: string[] = [];
      const handler = createAlertSubscriberHandler({
        settings: { webhook: { secret: { store: 'secretsmanager', id: arn }, maxAgeSeconds: 300 }, webhookTimeoutMs: 2_000 },
        logger: createLogger({}, (l) => logs.push(l), 'debug'),
        fetchSecret: createSecretFetch({ maxAgeSeconds: 300, secretsManager }),
        write: () => undefined,
      }) as unknown as Handler;
      const event = loadEvent<EventBridgeEvent<string, unknown>>('samples/scan-failed.json');
      // The URL in the secret was revoked and not rotated: the delivery fails, for Lambda to retry.
      await expect(handler(event, {} as Context)).rejects.toThrow('alert webhook answered HTTP 404');
      expect(store.countCalls(arn)).toBe(2);
      // Rotated: the next delivery finds the new URL after one refusal.
      store.putSecret('alerts/webhook', `${hook.url}/hooks/live`);
      await expect(handler(event, {} as Context)).resolves.toEqual({ delivered: true });
      expect(hook.requests.map((r) => r.url)).toEqual(['/hooks/old', '/hooks/old', '/hooks/live']);
      await expect(handler(event, {} as Context)).resolves.toEqual({ delivered: true });
      expect(hook.requests.at(-1)?.url).toBe('/hooks/live');
      expect(store.countCalls(arn)).toBe(3);
      expect(logs.join('\n')).not.toContain('/hooks/');
    } finally {
      await Promise.all([store.close(), hook.close()]);
    }
  });
});
