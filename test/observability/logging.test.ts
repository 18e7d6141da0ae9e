import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListSnapshotsHandler, listSnapshotsDepsFromEnv } from '../../functions/list-snapshots';
import { createFunctionLogger } from '../../lib/observability/log';
import { generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { httpApiEvent, lambdaContext } from '../helpers/events';
import { SAMPLE_PROJECT } from '../helpers/fleet';
import { jsonLinesWhile } from '../helpers/stdout';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({
    projects: generateFleet({ seed: 'logs', size: 100, projects: [SAMPLE_PROJECT] }).projects,
    auth: { mode: 'noauth' },
  });
});
afterAll(() => emulator.close());

describe('function logs (Powertools Logger)', () => {
  it('writes one access line per request: who listed which project with which filters, the status and the upstream time, with the Lambda context', async () => {
    const logger = createFunctionLogger('list-snapshots', 'info');
    const handler = createListSnapshotsHandler(
      listSnapshotsDepsFromEnv(
        { EVS_ENDPOINT: emulator.url, EVS_AUTH: 'noauth', ALLOWED_PROJECT_IDS: SAMPLE_PROJECT },
        logger,
      ),
    );
    const lines = await jsonLinesWhile(async () => {
      await handler(httpApiEvent({ query: 'status=available&limit=5' }), lambdaContext());
      await handler(httpApiEvent({ query: 'all_tenants=1' }), lambdaContext());
    });
    const access = lines.filter((l) => l.message === 'access');
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({
      level: 'INFO',
      service: 'list-snapshots',
      caller: 'arn:aws:sts::123456789012:assumed-role/alerting-tool/session',
      apiRequestId: 'JKJaXmPLvHcESHA=',
      projectId: SAMPLE_PROJECT,
      params: { status: 'available', limit: '5' },
      status: 200,
      function_request_id: expect.stringMatching(/^local-/),
      cold_start: expect.any(Boolean),
    });
    expect(access[0]?.upstreamMs).toBeGreaterThan(0);
    expect(access[1]).toMatchObject({ status: 400, code: 'UNKNOWN_PARAMETER', params: { all_tenants: '1' } });
    expect(access[1]?.upstreamMs).toBeUndefined();
  });

  it('redacts fields whose names may carry credentials, whatever a caller passes', async () => {
    const logger = createFunctionLogger('test', 'debug');
    const lines = await jsonLinesWhile(async () =>
      logger.debug('fields', { token: 't-123', sk: 's-456', authorization: 'a-789', projectId: 'p' }),
    );
    expect(lines[0]).toMatchObject({
      message: 'fields',
      token: '[redacted]',
      sk: '[redacted]',
      authorization: '[redacted]',
      projectId: 'p',
    });
  });
});
