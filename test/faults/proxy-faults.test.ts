/**
 * Faults found by probing the proxy (issue 11), each driven through the real middy-wrapped
 * handler against a scripted upstream over loopback HTTP.
 */
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/observability/log';
import { createEvsClient } from '../../lib/upstream/client';
import { httpApiEvent, lambdaContext } from '../helpers/events';
import { SAMPLE_PROJECT } from '../helpers/fleet';
import { checkedProxyHandler, importProxyHandler, type ProxyHandler } from '../helpers/handler';
import { type ScriptedReply, startScriptedServer } from '../helpers/scripted-server';

let reply: (req: IncomingMessage, n: number) => ScriptedReply;
let upstream: Awaited<ReturnType<typeof startScriptedServer>>;
let handler: ProxyHandler;
const logs: string[] = [];

const snapshot = (i: number) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  status: 'available',
  name: `s${i}`,
  description: null,
  created_at: '2026-11-01T00:00:00.000000',
  updated_at: null,
  metadata: {},
  volume_id: '11111111-1111-4111-8111-111111111111',
  size: 1,
});
const page = (n: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ snapshots: Array.from({ length: n }, (_, i) => snapshot(i)), ...extra });

beforeAll(async () => {
  upstream = await startScriptedServer((req, n) => reply(req, n));
  handler = await importProxyHandler(
    {
      EVS_ENDPOINT: upstream.url,
      EVS_AUTH: 'noauth',
      ALLOWED_PROJECT_IDS: SAMPLE_PROJECT,
      EVS_TIMEOUT_MS: '1000',
      EVS_RETRY_BASE_MS: '1',
      EVS_RETRY_MAX_MS: '2',
      EVS_MAX_BODY_BYTES: String(8 * 1024 * 1024),
    },
    createLogger({}, (line) => logs.push(line), 'debug'),
  );
});
afterAll(() => upstream.close());
beforeEach(() => {
  logs.length = 0;
  reply = () => ({ status: 200, body: page(3) });
});

const body = (r: { body: string }) => JSON.parse(r.body) as Record<string, any>;

describe('upstream answers the proxy must not pass on', () => {
  it('serves a body with a duplicated "snapshots" key as valid JSON, from what JSON.parse read', async () => {
    reply = () => ({ status: 200, body: `{"snapshots":{"k":[1]},"snapshots":[${JSON.stringify(snapshot(7))}]}` });
    const result = await handler(httpApiEvent({ query: 'limit=5' }), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(body(result).snapshots.map((s: { id: string }) => s.id)).toEqual([snapshot(7).id]);
  });

  it("never lets the upstream's own link through a duplicated snapshots_links key", async () => {
    const link = (href: string) => `[{"rel":"next","href":"${href}"}]`;
    reply = () => ({
      status: 200,
      body: `{"snapshots":${JSON.stringify([snapshot(1), snapshot(2)])},"snapshots_links":${link('http://10.0.0.5/x')},"snapshots_links":${link('http://evil.example/?marker=a')}}`,
    });
    const result = await handler(httpApiEvent({ query: 'limit=1' }), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(result.body).not.toContain('evil.example');
    expect(result.body).not.toContain('10.0.0.5');
    expect(new URL(body(result).snapshots_links[0].href).origin).toBe(
      'https://abc123.execute-api.eu-west-1.amazonaws.com',
    );
  });

  it('does not take an escaped key for another: "snap\\u0073hots" is served as what JSON.parse read', async () => {
    reply = () => ({
      status: 200,
      body: `{"snapshots":[${JSON.stringify(snapshot(1))}],"snap\\u0073hots":[${JSON.stringify(snapshot(2))}]}`,
    });
    const result = await handler(httpApiEvent({ query: 'limit=5' }), lambdaContext());
    expect(body(result).snapshots.map((s: { id: string }) => s.id)).toEqual([snapshot(2).id]);
  });

  it.each([301, 302, 307])(
    'answers an upstream %i with 502 UPSTREAM_BAD_RESPONSE and none of its text, without following it',
    async (status) => {
      reply = (_req, n) =>
        n === 1 || status !== 200
          ? {
              status,
              body: 'moved to http://10.0.0.5 internal',
              headers: { Location: 'http://10.0.0.5/v2/x/snapshots' },
            }
          : { status: 200, body: page(1) };
      const before = upstream.requests.length;
      const result = await handler(httpApiEvent(), lambdaContext());
      expect(result.statusCode).toBe(502);
      expect(body(result).computeFault.code).toBe('UPSTREAM_BAD_RESPONSE');
      expect(result.body).not.toMatch(/10\.0\.0\.5|moved|internal/);
      expect(upstream.requests.length - before).toBe(1);
    },
  );

  it('answers a 401 whose body names an internal address with a 502 that does not', async () => {
    reply = () => ({
      status: 401,
      body: '{"error_code":"APIGW.0301","error_msg":"token rejected by iam at https://10.1.2.3:5000/v3 (node keystone-2.internal)","request_id":"a0e5ba1d1ba2bc4f2d0a8f9b7c3e4d5f"}',
    });
    const result = await handler(httpApiEvent(), lambdaContext());
    expect(result.statusCode).toBe(502);
    expect(body(result).computeFault).toEqual({
      code: 'UPSTREAM_AUTH_FAILED',
      message:
        "The upstream refused the service's credentials (HTTP 401). Upstream request id: a0e5ba1d1ba2bc4f2d0a8f9b7c3e4d5f.",
    });
  });

  it('passes a 4xx message on without URLs or addresses, and capped in length', async () => {
    reply = () => ({
      status: 400,
      body: JSON.stringify({
        badRequest: {
          code: 400,
          message: `Invalid filter; see http://cinder-api.internal:8776/docs or ask 10.0.0.9. ${'x'.repeat(500)}`,
        },
      }),
    });
    const result = await handler(httpApiEvent(), lambdaContext());
    expect(result.statusCode).toBe(400);
    const message = body(result).badRequest.message as string;
    expect(message).not.toMatch(/http|cinder-api|10\.0\.0\.9/);
    expect(message.length).toBeLessThanOrEqual(200);
    expect(message.startsWith('Invalid filter; see [url] or ask [address].')).toBe(true);
  });

  it('refuses a page with more rows than it asked for', async () => {
    reply = () => ({ status: 200, body: page(12) });
    const result = await handler(httpApiEvent({ query: 'limit=5' }), lambdaContext());
    expect(result.statusCode).toBe(502);
    expect(body(result).computeFault.code).toBe('UPSTREAM_BAD_RESPONSE');
  });

  it('caps upstream bodies in bytes, not UTF-16 characters', async () => {
    // 3 bytes per character in UTF-8: 3.5 M characters are 10.5 MB, over the 8 MB cap set above.
    reply = () => ({
      status: 200,
      body: `{"snapshots":[${JSON.stringify({ ...snapshot(1), description: '快'.repeat(3_500_000) })}]}`,
    });
    const result = await handler(httpApiEvent({ query: 'limit=5' }), lambdaContext());
    expect(result.statusCode).toBe(502);
    expect(body(result).computeFault.code).toBe('UPSTREAM_BAD_RESPONSE');
  });

  it('answers 502 instead of a page Lambda could not deliver (over 6 MB)', async () => {
    const big = Array.from({ length: 3 }, (_, i) => ({ ...snapshot(i), description: 'd'.repeat(2_200_000) }));
    reply = () => ({ status: 200, body: JSON.stringify({ snapshots: big }) });
    const result = await handler(httpApiEvent({ query: 'limit=5' }), lambdaContext());
    expect(result.statusCode).toBe(502);
    expect(body(result).computeFault).toMatchObject({
      code: 'UPSTREAM_BAD_RESPONSE',
      message: expect.stringContaining('smaller limit'),
    });
  });
});

describe('requests the proxy must not trust', () => {
  it("builds next links from API Gateway's own domain, never from X-Forwarded-Host or X-Forwarded-Proto", async () => {
    reply = () => ({ status: 200, body: page(3) });
    const event = httpApiEvent({ query: 'limit=2' });
    event.headers = {
      ...event.headers,
      'x-forwarded-host': 'evil.example',
      host: 'evil.example',
      'x-forwarded-proto': 'javascript:alert(1)//',
    };
    const result = await handler(event, lambdaContext());
    const href = body(result).snapshots_links[0].href as string;
    expect(href.startsWith(`https://abc123.execute-api.eu-west-1.amazonaws.com/v2/${SAMPLE_PROJECT}/snapshots?`)).toBe(
      true,
    );
    const versions = await handler(
      { ...event, rawPath: '/', pathParameters: undefined, rawQueryString: '' } as never,
      lambdaContext(),
    );
    expect(versions.body).not.toMatch(/evil|javascript/);
  });

  it('answers a bug as 500 INTERNAL_ERROR, logged with its stack, never as an upstream outage', async () => {
    const lister = createEvsClient({
      endpoint: upstream.url,
      auth: {
        mode: 'aksk',
        headers: async () => {
          throw new TypeError("Cannot read properties of undefined (reading 'sk')");
        },
      },
    });
    const buggy = checkedProxyHandler({
      logger: createLogger({}, (line) => logs.push(line), 'info'),
      proxy: { lister, allowedProjects: '*' },
    });
    const result = await buggy(httpApiEvent(), lambdaContext());
    expect(result.statusCode).toBe(500);
    expect(body(result)).toEqual({
      computeFault: { code: 'INTERNAL_ERROR', message: 'The proxy failed unexpectedly.' },
    });
    expect(result.body).not.toContain('TypeError');
    const line = logs.find((l) => l.includes('"code":"INTERNAL_ERROR"')) ?? '';
    expect(line).toContain('TypeError');
    expect(line).toContain('"stack"');
  });

  it("times an IAM token request out within the function's budget: 504, not 500", async () => {
    const iam = await startScriptedServer(() => ({
      status: 201,
      body: '{}',
      headers: { 'X-Subject-Token': 't' },
      delayMs: 20_000,
    }));
    try {
      const viaIam = await importProxyHandler({
        EVS_ENDPOINT: upstream.url,
        EVS_AUTH: 'token',
        EVS_IAM_ENDPOINT: iam.url,
        EVS_IAM_USER: 'u',
        EVS_IAM_PASSWORD: 'p',
        EVS_IAM_DOMAIN: 'd',
        ALLOWED_PROJECT_IDS: SAMPLE_PROJECT,
        EVS_MAX_ATTEMPTS: '1',
      });
      const started = Date.now();
      const result = await viaIam(httpApiEvent(), lambdaContext(2_000));
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(result.statusCode).toBe(504);
      expect(body(result).computeFault.code).toBe('UPSTREAM_TIMEOUT');
    } finally {
      await iam.close();
    }
  });
});
