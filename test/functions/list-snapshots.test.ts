import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/observability/log';
import { generateFleet } from '../../tools/emulator/fleet';
import { type FaultResponse, type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { httpApiEvent, lambdaContext, restApiEvent } from '../helpers/events';
import { FOREIGN_PROJECT, OTHER_PROJECT, SAMPLE_PROJECT } from '../helpers/fleet';
import { importProxyHandler } from '../helpers/handler';

let emulator: RunningEmulator;
let fault: FaultResponse | undefined;
let handler: (event: unknown, context: unknown) => Promise<APIGatewayProxyResult>;
const logs: string[] = [];

beforeAll(async () => {
  const fleet = generateFleet({ seed: 'handler', size: 600, projects: [SAMPLE_PROJECT, OTHER_PROJECT] });
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' }, fault: () => fault });
  const env = {
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    ALLOWED_PROJECT_IDS: `${SAMPLE_PROJECT},${OTHER_PROJECT}`,
    EVS_TIMEOUT_MS: '300',
    EVS_RETRY_BASE_MS: '1',
    EVS_RETRY_MAX_MS: '5',
  };
  handler = (await importProxyHandler(
    env,
    createLogger({}, (line) => logs.push(line), 'info'),
  )) as unknown as typeof handler;
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  fault = undefined;
});

const body = (r: APIGatewayProxyResult) => JSON.parse(r.body) as Record<string, any>;

describe('list-snapshots handler (middy-wrapped, events/ fixtures)', () => {
  it('answers the HTTP API sample event in the seed shape with a next link back to the proxy', async () => {
    const result = await handler(httpApiEvent(), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['Content-Type']).toBe('application/json');
    const b = body(result);
    expect(Object.keys(b).sort()).toEqual(['snapshots', 'snapshots_links']);
    expect(b.snapshots).toHaveLength(50);
    for (const s of b.snapshots) {
      expect(s.status).toBe('available');
      expect(Object.keys(s).sort()).toEqual([
        'created_at',
        'description',
        'id',
        'metadata',
        'name',
        'size',
        'status',
        'updated_at',
        'volume_id',
      ]);
    }
    const next = new URL(b.snapshots_links[0].href);
    expect(b.snapshots_links[0].rel).toBe('next');
    expect(next.origin).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com');
    expect(next.pathname).toBe(`/v2/${SAMPLE_PROJECT}/snapshots`);
    expect(Object.fromEntries(next.searchParams)).toEqual({
      limit: '50',
      status: 'available',
      marker: b.snapshots[49].id,
    });
  });

  it('answers the REST API sample event, keeping the stage in next links', async () => {
    const result = await handler(restApiEvent(), lambdaContext());
    expect(result.statusCode).toBe(200);
    const href = body(result).snapshots_links[0].href as string;
    expect(
      href.startsWith(`https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v2/${SAMPLE_PROJECT}/snapshots?`),
    ).toBe(true);
  });

  it('sets snapshots_links to null on the last page', async () => {
    const result = await handler(httpApiEvent({ query: 'limit=1000' }), lambdaContext());
    const b = body(result);
    expect(b.snapshots).toHaveLength(300);
    expect(b.snapshots_links).toBeNull();
  });

  it('refuses all_tenants with a seed-shaped 400 and never calls the upstream', async () => {
    const before = emulator.listRequests;
    const result = await handler(httpApiEvent({ query: 'all_tenants=1' }), lambdaContext());
    expect(result.statusCode).toBe(400);
    expect(body(result)).toEqual({
      badRequest: {
        code: 'UNKNOWN_PARAMETER',
        message: 'Unknown parameter "all_tenants": only marker, offset, limit, name, status, volume_id are accepted.',
      },
    });
    expect(emulator.listRequests).toBe(before);
  });

  it('refuses a repeated parameter from the REST API multi-value form', async () => {
    const result = await handler(restApiEvent({ query: 'status=available&status=error' }), lambdaContext());
    expect(result.statusCode).toBe(400);
    expect(body(result).badRequest.code).toBe('REPEATED_PARAMETER');
  });

  it('refuses a project outside ALLOWED_PROJECT_IDS with 403 forbidden', async () => {
    const before = emulator.listRequests;
    const result = await handler(httpApiEvent({ projectId: FOREIGN_PROJECT, query: '' }), lambdaContext());
    expect(result.statusCode).toBe(403);
    expect(body(result)).toEqual({
      forbidden: { code: 'PROJECT_NOT_ALLOWED', message: `Project ${FOREIGN_PROJECT} is not served by this proxy.` },
    });
    expect(emulator.listRequests).toBe(before);
  });

  it('passes an upstream 404 through with its status and message, in the seed shape', async () => {
    const result = await handler(
      httpApiEvent({ query: 'marker=8d1d0c3e-4a79-4a3c-9b8e-3f3c0f3b2a11' }),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(404);
    expect(body(result)).toEqual({
      itemNotFound: { code: '404', message: 'Snapshot 8d1d0c3e-4a79-4a3c-9b8e-3f3c0f3b2a11 could not be found.' },
    });
  });

  it('keeps an EVS error code from the upstream', async () => {
    fault = {
      status: 400,
      body: '{"error": {"message": "Invalid volume id.", "code": "EVS.1002"}}',
      headers: { 'X-Request-Id': 'a0e5ba1d1ba2bc4f2d0a8f9b7c3e4d5f' },
    };
    const result = await handler(httpApiEvent(), lambdaContext());
    expect(result.statusCode).toBe(400);
    expect(body(result)).toEqual({ badRequest: { code: 'EVS.1002', message: 'Invalid volume id.' } });
    expect(result.headers?.['X-Upstream-Request-Id']).toBe('a0e5ba1d1ba2bc4f2d0a8f9b7c3e4d5f');
  });

  it('turns an upstream 5xx into a 502 without the upstream body or host, after retrying', async () => {
    const before = emulator.listRequests;
    fault = {
      status: 500,
      body: '{"computeFault": {"message": "db at 10.0.0.5 exploded: Traceback ...", "code": 500}}',
      headers: { 'X-Request-Id': 'req-5e1f0c2a-9d3b-4c7e-8a61-0f2b3c4d5e6f' },
    };
    const result = await handler(httpApiEvent(), lambdaContext());
    expect(result.statusCode).toBe(502);
    expect(body(result)).toEqual({
      computeFault: {
        code: 'UPSTREAM_ERROR',
        message: 'The upstream failed (HTTP 500). Upstream request id: req-5e1f0c2a-9d3b-4c7e-8a61-0f2b3c4d5e6f.',
      },
    });
    expect(result.body).not.toContain('127.0.0.1');
    expect(emulator.listRequests - before).toBe(3);
  });

  it('does not retry an upstream signature failure, and answers 502', async () => {
    const before = emulator.listRequests;
    fault = {
      status: 401,
      body: '{"error_code": "APIGW.0301", "error_msg": "verify aksk signature fail", "request_id": "r1"}',
    };
    const result = await handler(httpApiEvent(), lambdaContext());
    expect(result.statusCode).toBe(502);
    expect(body(result).computeFault.code).toBe('UPSTREAM_AUTH_FAILED');
    expect(emulator.listRequests - before).toBe(1);
  });

  it('turns an upstream that does not answer in time into a 504', async () => {
    fault = { status: 200, body: '{"snapshots": []}', delayMs: 2_000 };
    const result = await handler(httpApiEvent(), lambdaContext());
    expect(result.statusCode).toBe(504);
    expect(body(result)).toEqual({
      computeFault: { code: 'UPSTREAM_TIMEOUT', message: 'The upstream did not answer in time.' },
    });
  });

  it('turns a 200 that is not JSON into a 502', async () => {
    fault = { status: 200, body: '<html>login</html>' };
    const result = await handler(httpApiEvent(), lambdaContext());
    expect(result.statusCode).toBe(502);
    expect(body(result).computeFault.code).toBe('UPSTREAM_BAD_RESPONSE');
  });

  it('never writes a token or a stack trace to its logs', () => {
    const all = logs.join('');
    expect(all).not.toMatch(/admin:[0-9a-f]{32}/);
    expect(all).not.toMatch(/\n\s+at /);
    expect(all).toContain('"code":"UPSTREAM_ERROR"');
  });
});
