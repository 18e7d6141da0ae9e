import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifierHandler, type NotifierEvent, notifierDepsFromEnv } from '../../functions/notifier';
import { createLogger } from '../../lib/observability/log';
import { type LocalDynamo, startLocalDynamo } from '../../tools/local/dynamodb';
import { createNotificationsTable } from '../../tools/local/notifications';
import { lambdaContext, loadEvent } from '../helpers/events';
import { startScriptedServer } from '../helpers/scripted-server';

let dynamo: LocalDynamo;
let webhook: Awaited<ReturnType<typeof startScriptedServer>>;
let dir: string;
let tables = 0;

beforeAll(async () => {
  [dynamo, webhook] = await Promise.all([startLocalDynamo(), startScriptedServer(() => ({ status: 200 }))]);
  dir = mkdtempSync(join(tmpdir(), 'notifier-'));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await Promise.all([webhook.close(), dynamo.close()]);
});

/** The real middy-wrapped notifier from its own factory: a fresh table, one immediate route to the loopback webhook. */
async function notifierHandler() {
  const table = `notifications-handler-${++tables}`;
  await createNotificationsTable(dynamo.client, table);
  const routes = join(dir, `routes-${tables}.yml`);
  writeFileSync(
    routes,
    `version: 1\nroutes:\n  - name: everyone\n    delivery: { mode: immediate }\n    destinations: [{ kind: webhook, url: "${webhook.url}/hook" }]\n`,
  );
  const deps = notifierDepsFromEnv(
    { NOTIFICATIONS_TABLE: table, NOTIFY_ROUTES_FILE: routes },
    createLogger({}, () => undefined, 'silent'),
    () => undefined,
  );
  return createNotifierHandler(deps) as unknown as (e: NotifierEvent, c: Context) => Promise<SQSBatchResponse>;
}

/** EventBridge events as the notifications rule's queue hands them to the function: one record each, the event as its body. */
function queued(...bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({ messageId: `00000000-0000-4000-8000-00000000000${i}`, body })),
  } as SQSEvent;
}

const sent = (since: number) =>
  webhook.requests
    .slice(since)
    .map((r) => JSON.parse(r.body) as { findings: Array<{ findingType: string; snapshot: { name: string } }> });

describe('notifier handler (middy-wrapped, events/samples/finding-stale.json through the queue)', () => {
  it("sends a scanner finding that arrives on the queue to its route's webhook, naming the snapshot", async () => {
    const handler = await notifierHandler();
    const before = webhook.requests.length;

    const response = await handler(
      queued(JSON.stringify(loadEvent('samples/finding-stale.json'))),
      lambdaContext(30_000),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sent(before).flatMap((m) => m.findings.map((f) => [f.findingType, f.snapshot.name]))).toEqual([
      ['STALE', 'db-backup'],
    ]);
  });

  it('hands back only the record it could not read; the others are still sent', async () => {
    const handler = await notifierHandler();
    const before = webhook.requests.length;
    const event = queued('{"not": "a scanner event"', JSON.stringify(loadEvent('samples/finding-orphaned.json')));

    const response = await handler(event, lambdaContext(30_000));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]?.messageId }] });
    expect(sent(before).flatMap((m) => m.findings.map((f) => f.findingType))).toEqual(['ORPHANED']);
  });
});
