import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingsDepsFromEnv } from '../../functions/findings';
import { findingIdOf } from '../../lib/events/contract';
import { createLogger } from '../../lib/observability/log';
import { createFindingsStore } from '../../lib/state/dynamo/findings-table';
import { createEvsClient } from '../../lib/upstream/client';
import { httpApiEvent, lambdaContext, loadEvent } from '../helpers/events';
import { SAMPLE_PROJECT } from '../helpers/fleet';
import { checkedFindingsHandler, checkedProxyHandler, importProxyHandler, type ProxyHandler } from '../helpers/handler';
import { DOCUMENTED_ERROR_CODES, openApiErrors, producedCodes } from '../helpers/openapi';
import { type ScriptedReply, startScriptedServer } from '../helpers/scripted-server';
import { startStateTable } from '../helpers/state';

let upstream: Awaited<ReturnType<typeof startScriptedServer>>;
let dynamo: Awaited<ReturnType<typeof startStateTable>>;
let findings: ProxyHandler;
let next: ScriptedReply = { status: 200, body: '{"snapshots": []}' };
let handler: ProxyHandler;
const silent = createLogger({}, () => undefined, 'silent');
const env = () => ({
  EVS_ENDPOINT: upstream.url,
  EVS_AUTH: 'noauth',
  ALLOWED_PROJECT_IDS: SAMPLE_PROJECT,
  EVS_TIMEOUT_MS: '300',
  EVS_RETRY_BASE_MS: '1',
  EVS_RETRY_MAX_MS: '2',
  EVS_MAX_ATTEMPTS: '1',
});

const OPEN_ID = findingIdOf(SAMPLE_PROJECT, 'open-snapshot');
const RESOLVED_ID = findingIdOf(SAMPLE_PROJECT, 'resolved-snapshot');

beforeAll(async () => {
  upstream = await startScriptedServer(() => next);
  handler = await importProxyHandler(env());
  dynamo = await startStateTable();
  const item = (snapshotId: string, findingId: string, state: 'OPEN' | 'RESOLVED') => ({
    projectId: SAMPLE_PROJECT,
    findingId,
    snapshotId,
    findingType: 'STALE' as const,
    severity: 'low' as const,
    state,
    snapshot: {
      id: snapshotId,
      name: null,
      status: 'available',
      volume_id: 'v',
      size: 1,
      created_at: '2026-01-01T00:00:00',
      updated_at: null,
    },
    reason: 'r',
    firstSeenAt: '2026-11-01T00:00:00.000Z',
    lastSeenAt: '2026-11-01T00:00:00.000Z',
    lastNotifiedAt: '2026-11-01T00:00:00.000Z',
    runsSeen: 1,
  });
  await createFindingsStore({ tableName: dynamo.table }).putItems(
    [item('open-snapshot', OPEN_ID, 'OPEN'), item('resolved-snapshot', RESOLVED_ID, 'RESOLVED')],
    Date.now() + 5_000,
  );
  findings = checkedFindingsHandler(
    findingsDepsFromEnv({ FINDINGS_TABLE: dynamo.table, ALLOWED_PROJECT_IDS: SAMPLE_PROJECT }, silent),
  );
});
afterAll(async () => {
  await upstream.close();
  await dynamo.close();
});

const suppression = (findingId: string, body: string, contentType = 'application/json', method = 'POST') => {
  const e = loadEvent<APIGatewayProxyEventV2>('http-api-suppress-finding.json');
  return {
    ...e,
    rawPath: `/v2/${SAMPLE_PROJECT}/findings/${findingId}/suppression`,
    pathParameters: { project_id: SAMPLE_PROJECT, finding_id: findingId },
    headers: { ...e.headers, 'content-type': contentType },
    body,
    requestContext: { ...e.requestContext, http: { ...e.requestContext.http, method } },
  };
};
const soon = JSON.stringify({ until: new Date(Date.now() + 86_400_000).toISOString(), reason: 'known' });

const codeOf = (r: { body: string }) => (Object.values(JSON.parse(r.body))[0] as { code: string }).code;

describe('the OpenAPI document', () => {
  it('is served at GET /openapi.json, as OpenAPI 3.1 naming this deployment as its server', async () => {
    const result = await handler(
      { ...httpApiEvent(), rawPath: '/openapi.json', rawQueryString: '', pathParameters: undefined } as never,
      lambdaContext(),
    );
    expect(result.statusCode).toBe(200);
    const doc = JSON.parse(result.body);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: 'https://abc123.execute-api.eu-west-1.amazonaws.com' }]);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/',
      '/openapi.json',
      '/v2/{project_id}/findings',
      '/v2/{project_id}/findings/approval',
      '/v2/{project_id}/findings/{finding_id}/approval',
      '/v2/{project_id}/findings/{finding_id}/suppression',
      '/v2/{project_id}/snapshots',
      '/v2/{project_id}/snapshots/detail',
      '/v3/{project_id}/snapshots',
      '/v3/{project_id}/snapshots/detail',
    ]);
  });

  it('refuses an answer it does not describe, so the checks elsewhere can fail', () => {
    expect(
      openApiErrors('/v2/p/snapshots', {
        statusCode: 200,
        body: '{"snapshots": [], "snapshots_links": [{"rel": "next"}]}',
      }),
    ).not.toEqual([]);
    expect(
      openApiErrors('/v2/p/snapshots', {
        statusCode: 502,
        body: '{"computeFault": {"message": "x", "code": "SOMETHING_ELSE"}}',
      }),
    ).not.toEqual([]);
    expect(openApiErrors('/v2/p/snapshots', { statusCode: 418, body: '{}' })).not.toEqual([]);
  });

  const scenarios: Array<[code: string, run: () => Promise<{ statusCode: number; body: string }>]> = [
    ['INVALID_PARAMETER', () => handler(httpApiEvent({ query: 'limit=0' }), lambdaContext())],
    ['UNKNOWN_PARAMETER', () => handler(httpApiEvent({ query: 'all_tenants=1' }), lambdaContext())],
    ['REPEATED_PARAMETER', () => handler(httpApiEvent({ query: 'limit=1&limit=2' }), lambdaContext())],
    [
      'PROJECT_NOT_ALLOWED',
      () => handler(httpApiEvent({ projectId: '11111111111111111111111111111111', query: '' }), lambdaContext()),
    ],
    [
      'PROXY_MISCONFIGURED',
      async () =>
        (await importProxyHandler({ EVS_ENDPOINT: upstream.url, EVS_AUTH: 'noauth' }))(httpApiEvent(), lambdaContext()),
    ],
    [
      'INTERNAL_ERROR',
      () => {
        const lister = createEvsClient({
          endpoint: upstream.url,
          auth: { mode: 'noauth', headers: () => Promise.reject(new RangeError('bug')) },
        });
        return checkedProxyHandler({ logger: silent, proxy: { lister, allowedProjects: '*' } })(
          httpApiEvent(),
          lambdaContext(),
        );
      },
    ],
    [
      'UPSTREAM_ERROR',
      () => {
        next = { status: 503, body: 'busy' };
        return handler(httpApiEvent(), lambdaContext());
      },
    ],
    [
      'UPSTREAM_BAD_RESPONSE',
      () => {
        next = { status: 200, body: '<html>' };
        return handler(httpApiEvent(), lambdaContext());
      },
    ],
    [
      'UPSTREAM_AUTH_FAILED',
      () => {
        next = { status: 403, body: '{"forbidden": {"code": 403, "message": "no"}}' };
        return handler(httpApiEvent(), lambdaContext());
      },
    ],
    [
      'UPSTREAM_TIMEOUT',
      () => {
        next = { status: 200, body: '{"snapshots": []}', delayMs: 1_000 };
        return handler(httpApiEvent(), lambdaContext());
      },
    ],
    [
      'UPSTREAM_UNAVAILABLE',
      async () =>
        (await importProxyHandler({ ...env(), EVS_ENDPOINT: 'http://127.0.0.1:9' }))(httpApiEvent(), lambdaContext()),
    ],
    ['INVALID_BODY', () => findings(suppression(OPEN_ID, '{"until":'), lambdaContext())],
    ['UNSUPPORTED_MEDIA_TYPE', () => findings(suppression(OPEN_ID, soon, 'text/plain'), lambdaContext())],
    ['FINDING_NOT_FOUND', () => findings(suppression('f'.repeat(32), soon), lambdaContext())],
    ['FINDING_STATE_CONFLICT', () => findings(suppression(RESOLVED_ID, soon), lambdaContext())],
    [
      'STATE_UNAVAILABLE',
      () => {
        const down = createFindingsStore({
          tableName: 'no-such-table',
          retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
        });
        return checkedFindingsHandler({ logger: silent, api: { store: down, allowedProjects: '*' } })(
          { ...loadEvent<APIGatewayProxyEventV2>('http-api-list-findings.json') },
          lambdaContext(),
        );
      },
    ],
  ];

  it.each(scenarios)('documents %s with the status the proxy answers it with', async (code, run) => {
    const result = await run();
    expect(codeOf(result)).toBe(code);
    expect(result.statusCode).toBe(DOCUMENTED_ERROR_CODES[code]);
  });

  it('has every documented error code produced by a test, and no code the proxy answers with undocumented', () => {
    expect([...producedCodes].sort()).toEqual(Object.keys(DOCUMENTED_ERROR_CODES).sort());
  });
});
