import { afterEach, describe, expect, it } from 'vitest';
import { iamPasswordAuth, noauthAuth } from '../../lib/upstream/auth';
import { createEvsClient } from '../../lib/upstream/client';
import { UpstreamHttpError } from '../../lib/upstream/errors';
import { type ScriptedReply, startScriptedServer } from '../helpers/scripted-server';

const P = '0123456789abcdef0123456789abcdef';
const page = (ids: string[], next?: string) =>
  JSON.stringify({
    snapshots: ids.map((id) => ({ id, status: 'available' })),
    ...(next ? { snapshots_links: [{ rel: 'next', href: next }] } : {}),
  });
const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(
  reply: (n: number, url: string, headers: Record<string, unknown>, body: string) => ScriptedReply,
) {
  const s = await startScriptedServer((req, n, body) => reply(n, req.url ?? '', req.headers, body));
  servers.push(s);
  return s;
}

const fast = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 10 };

describe('EVS client', () => {
  it('sends the query keys in a fixed order and reads the next marker from the next link', async () => {
    const s = await server(() => ({
      status: 200,
      body: page(['a', 'b'], `http://elsewhere.example/v2/${P}/snapshots?limit=2&marker=b`),
    }));
    const client = createEvsClient({ endpoint: `${s.url}/`, auth: noauthAuth() });
    const result = await client.listSnapshotsPage(P, {
      volume_id: 'v',
      status: 'available',
      name: 'n',
      limit: 2,
      offset: 1,
      marker: 'm',
    });
    expect(s.requests[0]?.url).toBe(`/v2/${P}/snapshots?marker=m&offset=1&limit=2&name=n&status=available&volume_id=v`);
    expect(s.requests[0]?.headers['x-auth-token']).toBe(`admin:${P}`);
    expect(result.nextMarker).toBe('b');
  });

  it('uses the last id as marker when the next link carries none', async () => {
    const s = await server(() => ({ status: 200, body: page(['a', 'z'], 'http://x/next') }));
    const result = await createEvsClient({ endpoint: s.url, auth: noauthAuth() }).listSnapshotsPage(P, {});
    expect(result.nextMarker).toBe('z');
  });

  it('retries 5xx and 429, honouring Retry-After, then succeeds', async () => {
    const s = await server((n) =>
      n === 1
        ? { status: 503, body: '' }
        : n === 2
          ? { status: 429, body: '', headers: { 'Retry-After': '1' } }
          : { status: 200, body: page(['a']) },
    );
    const client = createEvsClient({
      endpoint: s.url,
      auth: noauthAuth(),
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    await client.listSnapshotsPage(P, {});
    expect(s.requests).toHaveLength(3);
    const waited = (s.requests[2]?.at ?? 0) - (s.requests[1]?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(950);
  });

  it('gives up after maxAttempts with the last upstream error', async () => {
    const s = await server(() => ({ status: 500, body: '{"computeFault": {"message": "x", "code": 500}}' }));
    const client = createEvsClient({ endpoint: s.url, auth: noauthAuth(), retry: fast });
    await expect(client.listSnapshotsPage(P, {})).rejects.toMatchObject({ status: 500, upstreamCode: 'computeFault' });
    expect(s.requests).toHaveLength(3);
  });

  it('never retries a 400 or a signature failure', async () => {
    const s = await server(() => ({ status: 401, body: '{"error_code": "APIGW.0301", "error_msg": "bad sig"}' }));
    const client = createEvsClient({ endpoint: s.url, auth: noauthAuth(), retry: fast });
    await expect(client.listSnapshotsPage(P, {})).rejects.toBeInstanceOf(UpstreamHttpError);
    expect(s.requests).toHaveLength(1);
  });

  it('does not wait past the caller deadline: a Retry-After beyond it ends the call at once', async () => {
    const s = await server(() => ({ status: 503, body: '', headers: { 'Retry-After': '30' } }));
    const client = createEvsClient({ endpoint: s.url, auth: noauthAuth(), retry: fast });
    const started = Date.now();
    await expect(client.listSnapshotsPage(P, {}, { deadline: Date.now() + 2_000 })).rejects.toMatchObject({
      status: 503,
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(s.requests).toHaveLength(1);
  });

  it('times out each attempt and reports a timeout when all attempts are slow', async () => {
    // Wide margins: on a loaded machine a 100 ms budget can run out before the second attempt's
    // connection is even accepted, and then the server never sees it.
    const s = await server(() => ({ status: 200, body: page([]), delayMs: 2_000 }));
    const client = createEvsClient({
      endpoint: s.url,
      auth: noauthAuth(),
      timeoutMs: 400,
      retry: { ...fast, maxAttempts: 2 },
    });
    await expect(client.listSnapshotsPage(P, {})).rejects.toMatchObject({ name: 'UpstreamTimeoutError' });
    expect(s.requests).toHaveLength(2);
  });

  it('fetches a project-scoped IAM token once, caches it, and refreshes it once on a 401', async () => {
    let issued = 0;
    const iam = await server((_n, _url, _h, body) => {
      issued++;
      expect(JSON.parse(body).auth.scope.project.id).toBe(P);
      return {
        status: 201,
        body: JSON.stringify({ token: { expires_at: new Date(Date.now() + 86_400_000).toISOString() } }),
        headers: { 'X-Subject-Token': `tok-${issued}` },
      };
    });
    const evs = await server((n, _url, headers) =>
      n === 2 && headers['x-auth-token'] === 'tok-1' ? { status: 401, body: '' } : { status: 200, body: page(['a']) },
    );
    const client = createEvsClient({
      endpoint: evs.url,
      auth: iamPasswordAuth({ iamEndpoint: iam.url, userName: 'u', password: 'p', domainName: 'd' }),
      retry: fast,
    });
    await client.listSnapshotsPage(P, {});
    await client.listSnapshotsPage(P, {});
    await client.listSnapshotsPage(P, {});
    expect(issued).toBe(2);
    expect(evs.requests.map((r) => r.headers['x-auth-token'])).toEqual(['tok-1', 'tok-1', 'tok-2', 'tok-2']);
  });

  it('refuses a 200 whose body is not a snapshot list', async () => {
    const s = await server(() => ({ status: 200, body: '{"volumes": []}' }));
    await expect(
      createEvsClient({ endpoint: s.url, auth: noauthAuth() }).listSnapshotsPage(P, {}),
    ).rejects.toMatchObject({ name: 'UpstreamBadResponseError' });
  });
});
