import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingsDepsFromEnv } from '../../functions/findings';
import { findingIdOf } from '../../lib/events/contract';
import { createLogger } from '../../lib/observability/log';
import { createFindingsStore } from '../../lib/state/dynamo/findings-table';
import type { FindingItem } from '../../lib/state/records';
import type { LocalDynamo } from '../../tools/local/dynamodb';
import { lambdaContext, loadEvent } from '../helpers/events';
import { FOREIGN_PROJECT, SAMPLE_PROJECT } from '../helpers/fleet';
import { checkedFindingsHandler } from '../helpers/handler';
import { startStateTable } from '../helpers/state';

let dynamo: LocalDynamo & { table: string };
let handler: (
  event: APIGatewayProxyEventV2,
  context: unknown,
) => Promise<{ statusCode: number; headers?: Record<string, string>; body: string }>;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const snapshotIds = Array.from({ length: 30 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

const item = (snapshotId: string, i: number): FindingItem => ({
  projectId: SAMPLE_PROJECT,
  findingId: findingIdOf(SAMPLE_PROJECT, snapshotId),
  snapshotId,
  findingType: i % 3 === 0 ? 'ERROR_STATUS' : 'STALE',
  severity: i % 3 === 0 ? 'high' : 'low',
  state: i === 29 ? 'RESOLVED' : 'OPEN',
  snapshot: {
    id: snapshotId,
    name: `s${i}`,
    status: i % 3 === 0 ? 'error' : 'available',
    volume_id: 'v',
    size: 10,
    created_at: '2026-01-01T00:00:00',
    updated_at: null,
  },
  reason: 'r',
  firstSeenAt: '2026-11-30T12:00:00.000Z',
  lastSeenAt: '2026-11-30T12:00:00.000Z',
  lastNotifiedAt: '2026-11-30T12:00:00.000Z',
  runsSeen: 1,
  ...(i === 29 ? { resolvedAt: '2026-12-01T00:00:00.000Z' } : {}),
});

beforeAll(async () => {
  dynamo = await startStateTable();
  await createFindingsStore({ tableName: dynamo.table }).putItems(snapshotIds.map(item), Date.now() + 5_000);
  const deps = findingsDepsFromEnv(
    { FINDINGS_TABLE: dynamo.table, ALLOWED_PROJECT_IDS: SAMPLE_PROJECT },
    createLogger({}, () => undefined, 'silent'),
  );
  handler = checkedFindingsHandler({
    ...deps,
    now: () => NOW,
    ...(deps.api instanceof Error ? {} : { api: { ...deps.api, now: () => NOW } }),
  }) as never;
});
afterAll(() => dynamo.close());

const body = (r: { body: string }) => JSON.parse(r.body) as Record<string, any>;
const listEvent = (query: string, projectId = SAMPLE_PROJECT): APIGatewayProxyEventV2 => {
  const e = loadEvent<APIGatewayProxyEventV2>('http-api-list-findings.json');
  return {
    ...e,
    rawPath: `/v2/${projectId}/findings`,
    rawQueryString: query,
    pathParameters: { project_id: projectId },
  };
};
const suppressEvent = (
  over: { body?: string; contentType?: string; method?: string; findingId?: string } = {},
): APIGatewayProxyEventV2 => {
  const e = loadEvent<APIGatewayProxyEventV2>('http-api-suppress-finding.json');
  const findingId = over.findingId ?? findingIdOf(SAMPLE_PROJECT, snapshotIds[1] as string);
  return {
    ...e,
    rawPath: `/v2/${SAMPLE_PROJECT}/findings/${findingId}/suppression`,
    pathParameters: { project_id: SAMPLE_PROJECT, finding_id: findingId },
    headers: { ...e.headers, 'content-type': over.contentType ?? 'application/json' },
    body: over.body ?? e.body,
    requestContext: { ...e.requestContext, http: { ...e.requestContext.http, method: over.method ?? 'POST' } },
  };
};

describe('findings API (middy-wrapped, events/ fixtures, dynalite)', () => {
  it("lists the project's findings filtered by state and severity (the sample event)", async () => {
    const result = await handler(loadEvent('http-api-list-findings.json'), lambdaContext());
    expect(result.statusCode).toBe(200);
    const b = body(result);
    expect(b.findings.map((f: any) => [f.severity, f.state])).toEqual(Array(10).fill(['high', 'OPEN']));
    expect(b.findings_links).toBeNull();
    expect(Object.keys(b.findings[0]).sort()).toEqual(
      [
        'finding_type',
        'first_seen_at',
        'id',
        'last_notified_at',
        'last_seen_at',
        'project_id',
        'reason',
        'resolved_at',
        'runs_seen',
        'severity',
        'snapshot',
        'snapshot_id',
        'state',
        'suppression',
      ].sort(),
    );
  });

  it('pages with limit and marker, the next link keeping the filters', async () => {
    const first = body(await handler(listEvent('state=OPEN&limit=20'), lambdaContext()));
    expect(first.findings).toHaveLength(20);
    const next = new URL(first.findings_links[0].href);
    expect(next.origin).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com');
    expect(Object.fromEntries(next.searchParams)).toEqual({
      state: 'OPEN',
      limit: '20',
      marker: first.findings[19].id,
    });
    const rest = body(await handler(listEvent(next.search.slice(1)), lambdaContext()));
    expect(rest.findings).toHaveLength(9);
    expect(rest.findings_links).toBeNull();
    expect(
      body(await handler(listEvent(`snapshot_id=${snapshotIds[29]}`), lambdaContext())).findings.map(
        (f: any) => f.state,
      ),
    ).toEqual(['RESOLVED']);
  });

  it.each([
    ['state=CLOSED', 400, 'INVALID_PARAMETER'],
    ['finding_type=OLD', 400, 'INVALID_PARAMETER'],
    ['limit=0', 400, 'INVALID_PARAMETER'],
    ['marker=xyz', 400, 'INVALID_PARAMETER'],
    ['all_tenants=1', 400, 'UNKNOWN_PARAMETER'],
    ['state=OPEN&state=RESOLVED', 400, 'REPEATED_PARAMETER'],
  ])('refuses %s with a seed-shaped %i', async (query, status, code) => {
    const result = await handler(listEvent(query), lambdaContext());
    expect(result.statusCode).toBe(status);
    expect(body(result).badRequest.code).toBe(code);
  });

  it('refuses a project outside ALLOWED_PROJECT_IDS with 403', async () => {
    const result = await handler(listEvent('', FOREIGN_PROJECT), lambdaContext());
    expect(result.statusCode).toBe(403);
    expect(body(result).forbidden.code).toBe('PROJECT_NOT_ALLOWED');
  });

  it("suppresses a finding until a date, storing the caller's IAM identity, and DELETE lifts it", async () => {
    const result = await handler(loadEvent('http-api-suppress-finding.json') as never, lambdaContext()).catch((e) => e);
    // The sample names a finding this table does not hold.
    expect(result.statusCode).toBe(404);
    const ok = await handler(suppressEvent(), lambdaContext());
    expect(ok.statusCode).toBe(200);
    expect(body(ok).finding).toMatchObject({
      state: 'SUPPRESSED',
      suppression: {
        until: '2027-01-15T00:00:00.000Z',
        reason: 'Known: the CBR backup job is being migrated (CHG-1234).',
        by: 'arn:aws:sts::123456789012:assumed-role/alerting-tool/session',
        at: '2026-12-01T12:00:00.000Z',
      },
    });
    const listed = body(await handler(listEvent('state=SUPPRESSED'), lambdaContext()));
    expect(listed.findings.map((f: any) => f.snapshot_id)).toEqual([snapshotIds[1]]);
    const lifted = await handler(suppressEvent({ method: 'DELETE', body: '' }), lambdaContext());
    expect(lifted.statusCode).toBe(200);
    expect(body(lifted).finding).toMatchObject({ state: 'OPEN', suppression: null });
    const again = await handler(suppressEvent({ method: 'DELETE', body: '' }), lambdaContext());
    expect(again.statusCode).toBe(409);
  });

  it.each([
    ['broken JSON', { body: '{"until": ' }, 400, 'INVALID_BODY', 'not valid JSON'],
    ['a wrong content type', { contentType: 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE', 'application/json'],
    [
      'a body over 4 KB',
      { body: JSON.stringify({ until: '2027-01-01T00:00:00Z', reason: 'x'.repeat(5_000) }) },
      400,
      'INVALID_BODY',
      'at most 4096',
    ],
    [
      'an until in the past',
      { body: JSON.stringify({ until: '2026-11-01T00:00:00Z', reason: 'r' }) },
      400,
      'INVALID_BODY',
      'in the past',
    ],
    [
      'an until more than a year ahead',
      { body: JSON.stringify({ until: '2028-06-01T00:00:00Z', reason: 'r' }) },
      400,
      'INVALID_BODY',
      'more than a year',
    ],
    [
      'an until without a zone',
      { body: JSON.stringify({ until: '2027-01-01T00:00:00', reason: 'r' }) },
      400,
      'INVALID_BODY',
      'until',
    ],
    [
      'a leap-second until (the schema accepts it, Date.parse cannot read it)',
      { body: JSON.stringify({ until: '2026-12-31T23:59:60Z', reason: 'r' }) },
      400,
      'INVALID_BODY',
      'leap second',
    ],
    ['a missing reason', { body: JSON.stringify({ until: '2027-01-01T00:00:00Z' }) }, 400, 'INVALID_BODY', 'reason'],
    [
      'an unknown field',
      { body: JSON.stringify({ until: '2027-01-01T00:00:00Z', reason: 'r', forever: true }) },
      400,
      'INVALID_BODY',
      'forever',
    ],
    ['an unknown finding', { findingId: 'f'.repeat(32) }, 404, 'FINDING_NOT_FOUND', 'not known'],
    [
      'a resolved finding',
      { findingId: findingIdOf(SAMPLE_PROJECT, snapshotIds[29] as string) },
      409,
      'FINDING_STATE_CONFLICT',
      'RESOLVED',
    ],
    ['a malformed finding id', { findingId: 'nope' }, 400, 'INVALID_PARAMETER', 'finding_id'],
  ] as Array<[string, { body?: string; contentType?: string; findingId?: string }, number, string, string]>)(
    'refuses %s, naming the problem, writing nothing',
    async (_label, over, status, code, words) => {
      const target =
        (over as { findingId?: string }).findingId ?? findingIdOf(SAMPLE_PROJECT, snapshotIds[4] as string);
      const result = await handler(suppressEvent({ ...over, findingId: target }), lambdaContext());
      expect(result.statusCode).toBe(status);
      const fault = Object.values(body(result))[0] as { code: string; message: string };
      expect(fault.code).toBe(code);
      expect(fault.message).toContain(words);
      const item = body(await handler(listEvent(`snapshot_id=${snapshotIds[4]}`), lambdaContext())).findings[0];
      expect(item.state).toBe('OPEN');
    },
  );
});
