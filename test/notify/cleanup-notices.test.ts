import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CleanupDetail, DEFAULT_SOURCE, DETAIL_TYPES } from '../../lib/events/contract';
import { buildDigest } from '../../lib/notify/digest';
import { cleanupNoticeOf } from '../../lib/notify/notice';
import { render } from '../../lib/notify/render/index';
import type { SlackMessage } from '../../lib/notify/render/slack';
import type { TeamsMessage } from '../../lib/notify/render/teams';
import type { WebhookBody } from '../../lib/notify/render/webhook';
import { type LocalDynamo, startLocalDynamo } from '../../tools/local/dynamodb';
import { cardProblems } from '../helpers/adaptive-card';
import { loadEvent } from '../helpers/events';
import { startNotificationPath } from '../helpers/notifier';
import { schemaErrors } from '../helpers/schemas';
import { startScriptedServer } from '../helpers/scripted-server';
import { FORGED_LINE } from './render/hostile';
import { HOSTILE_NAMES } from './render/sample-digest';

// Cleanup's audit events on the deployed path: published to a local EventBridge with the shipped
// rule, through its queue, to the real notifier, and out to Slack, Teams and webhook receivers on loopback.
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
addFormats(ajv);
const validateBody = ajv.compile(
  JSON.parse(readFileSync(new URL('../../events/schemas/notification.schema.json', import.meta.url), 'utf8')),
);

const MARKED = loadEvent<{ detail: CleanupDetail }>('samples/cleanup-marked.json').detail;
const BRAKE = loadEvent<{ detail: CleanupDetail }>('samples/cleanup-brake.json').detail;

let dynamo: LocalDynamo;
let hooks: Awaited<ReturnType<typeof startScriptedServer>>;
let path: Awaited<ReturnType<typeof startNotificationPath>>;
const clock = { now: Date.parse('2026-12-06T01:00:30Z') };

beforeAll(async () => {
  [dynamo, hooks] = await Promise.all([startLocalDynamo(), startScriptedServer(() => ({ status: 200 }))]);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  const file = join(mkdtempSync(join(tmpdir(), 'routes-')), 'routes.yml');
  // A finding-type route first (it must not swallow cleanup notices), the owner's route, then the platform team for the rest.
  writeFileSync(
    file,
    `version: 1
routes:
  - name: stuck-only
    match: { findingType: [STUCK] }
    delivery: { mode: immediate }
    destinations: [{ kind: webhook, url: "${hooks.url}/stuck" }]
  - name: payments
    match: { owner: [team-payments] }
    delivery: { mode: immediate }
    destinations:
      - { kind: webhook, url: "${hooks.url}/payments/webhook" }
      - { kind: slack, url: "${hooks.url}/payments/slack" }
      - { kind: teams, url: "${hooks.url}/payments/teams" }
  - name: platform
    match: { severity: [high] }
    delivery: { mode: immediate }
    destinations: [{ kind: webhook, url: "${hooks.url}/platform" }]
`,
  );
  path = await startNotificationPath(dynamo, { NOTIFY_ROUTES_FILE: file }, clock);
}, 60_000);
afterAll(async () => {
  await Promise.all([path?.close(), hooks?.close()]);
  await dynamo?.close();
});

/** Publishes Cleanup events as the remediation function does, and waits until the notifier has taken them. */
async function publish(...details: CleanupDetail[]) {
  const bus = new EventBridgeClient({ endpoint: path.bus.url });
  const queued = path.queue.sent.length + details.length;
  for (const detail of details) {
    const out = await bus.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: DEFAULT_SOURCE,
            DetailType: DETAIL_TYPES.cleanup,
            Detail: JSON.stringify(detail),
            EventBusName: 'sentinel',
          },
        ],
      }),
    );
    expect(out.FailedEntryCount ?? 0).toBe(0);
  }
  // The bus answers before its rule's target has the event: wait until the queue holds each one, then until the notifier took them.
  for (let waited = 0; path.queue.sent.length < queued; waited += 10) {
    if (waited > 10_000) throw new Error('the rule did not forward the events to the queue');
    await new Promise((r) => setTimeout(r, 10));
  }
  await path.queue.drained();
}

const bodiesAt = (prefix: string, from = 0) =>
  hooks.requests
    .slice(from)
    .filter((r) => r.url.startsWith(prefix))
    .map((r) => JSON.parse(r.body) as unknown);

const slackText = (m: SlackMessage) =>
  [
    m.text,
    ...m.blocks.flatMap((b) => [
      (b as { text?: { text: string } }).text?.text ?? '',
      ...((b as { elements?: { text?: string }[] }).elements ?? []).map((e) => e.text ?? ''),
    ]),
  ].join('\n');
const cardText = (m: TeamsMessage) => JSON.stringify(m.attachments[0].content.body);

describe('cleanup notices through the notification routes', () => {
  it('tells the owner of a marked snapshot what will be deleted, when, and how to stop it, on every destination of their route', async () => {
    const before = hooks.requests.length;
    await publish(MARKED);
    expect(bodiesAt('/stuck', before)).toEqual([]);
    expect(bodiesAt('/platform', before)).toEqual([]);

    const [webhook, ...moreWebhooks] = bodiesAt('/payments/webhook', before) as WebhookBody[];
    expect(moreWebhooks).toEqual([]);
    expect(validateBody(webhook) ? [] : validateBody.errors).toEqual([]);
    expect(webhook?.headline).toBe('payments: 1 marked for deletion');
    expect(webhook?.cleanup).toEqual([
      expect.objectContaining({
        action: 'MARKED',
        severity: 'medium',
        rule: 'old-test-snapshots',
        deleteAfter: '2026-12-20T01:00:00Z',
        owner: 'team-payments',
        snapshot: expect.objectContaining({ id: MARKED.snapshot?.id, name: 'test-db-2025-01-07', size: 40 }),
        stop: {
          suppress: `POST /v2/${MARKED.projectId}/findings/${MARKED.findingId}/suppression`,
          metadataKey: 'snapshot-sentinel:delete-after',
        },
      }),
    ]);

    const [slack] = bodiesAt('/payments/slack', before) as SlackMessage[];
    const text = slackText(slack as SlackMessage);
    expect(text).toContain('*marked for deletion*: `test-db-2025-01-07` (40 GB)');
    expect(text).toContain('will be deleted after 2026-12-20 01:00 UTC under rule old-test-snapshots');
    expect(text).toContain(
      `suppress finding ${MARKED.findingId} (POST /v2/${MARKED.projectId}/findings/${MARKED.findingId}/suppression), or remove the metadata key snapshot-sentinel:delete-after`,
    );

    const [teams] = bodiesAt('/payments/teams', before) as TeamsMessage[];
    expect(cardProblems(teams?.attachments[0].content)).toEqual([]);
    expect(cardText(teams as TeamsMessage)).toContain('will be deleted after 2026-12-20 01:00 UTC');
    expect(cardText(teams as TeamsMessage)).toContain('remove the metadata key snapshot-sentinel:delete-after');
  }, 60_000);

  it('sends a project brake once, to the route that takes high severity, though the event arrives twice and the next run trips it again the same day', async () => {
    const before = hooks.requests.length;
    const nextRun: CleanupDetail = {
      ...BRAKE,
      runId: 'a-later-run',
      auditId: 'aa'.repeat(16),
      at: '2026-12-20T03:00:00.000Z',
    };
    clock.now = Date.parse('2026-12-20T02:00:30Z');
    await publish(BRAKE, BRAKE, nextRun);
    await path.tick(60_000);
    const platform = bodiesAt('/platform', before) as WebhookBody[];
    expect(platform.map((b) => b.cleanup.map((c) => [c.action, c.severity, c.brake?.planned]))).toEqual([
      [['BRAKE', 'high', 120]],
    ]);
    expect(platform[0]?.headline).toBe('platform: 1 cleanup brake');
    expect(bodiesAt('/payments', before)).toEqual([]);

    // The next day a brake still holding is told again: once.
    const tomorrow: CleanupDetail = {
      ...BRAKE,
      runId: 'next-day',
      auditId: 'bb'.repeat(16),
      at: '2026-12-21T02:00:00.000Z',
    };
    await publish(tomorrow, tomorrow);
    expect(bodiesAt('/platform', before)).toHaveLength(2);
  }, 60_000);

  it('keeps a hostile snapshot name inert in Slack, Teams, SNS text and the webhook body', async () => {
    const before = hooks.requests.length;
    const name = [HOSTILE_NAMES.slackChannel, HOSTILE_NAMES.crlf, HOSTILE_NAMES.escape, HOSTILE_NAMES.bidi].join(' ');
    const hostile: CleanupDetail = {
      ...MARKED,
      auditId: 'cc'.repeat(16),
      snapshot: { ...(MARKED.snapshot as NonNullable<CleanupDetail['snapshot']>), name },
      reason: `Snapshot x (${name}) will be deleted`,
    };
    expect(schemaErrors(DETAIL_TYPES.cleanup, hostile)).toEqual([]);
    await publish(hostile);

    const [slack] = bodiesAt('/payments/slack', before) as SlackMessage[];
    const s = slackText(slack as SlackMessage);
    expect(s).not.toContain('<!channel>');
    expect(s).toContain('&lt;!channel&gt; wake up');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(s).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
    for (const line of s.split('\n')) expect(line).not.toMatch(FORGED_LINE);

    const [teams] = bodiesAt('/payments/teams', before) as TeamsMessage[];
    expect(cardProblems(teams?.attachments[0].content)).toEqual([]);
    const t = cardText(teams as TeamsMessage);
    expect(t).not.toMatch(/<[a-z!/]/i);
    // Escaped for the card's markdown: the brackets cannot make a link, the angle brackets no mention.
    expect(t).toContain(
      JSON.stringify('**‹!channel› wake up innocent \\[HIGH\\] forged line redALERT title invoicegpj.exe**').slice(
        1,
        -1,
      ),
    );

    const [webhook] = bodiesAt('/payments/webhook', before) as WebhookBody[];
    expect(validateBody(webhook) ? [] : validateBody.errors).toEqual([]);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the name must arrive without them
    expect(webhook?.cleanup[0]?.snapshot?.name).not.toMatch(/[\n\u001b\u202e]/);

    // SNS text of the same notice (e-mail subscribers): every line still starts with the renderer's own words.
    const notice = cleanupNoticeOf(hostile, 'owner');
    if (!notice) throw new Error('a MARKED event makes a notice');
    const sns = render(
      'sns',
      buildDigest({
        route: 'payments',
        mode: 'immediate',
        window: { from: hostile.at, to: hostile.at },
        findings: [],
        health: [],
        cleanup: [notice],
        links: {},
      }),
    );
    if (sns.kind !== 'sns') throw new Error('expected an SNS message');
    expect(sns.subject).toBe('EVS snapshots payments: 1 marked for deletion');
    for (const line of sns.message.split('\n')) expect(line).not.toMatch(FORGED_LINE);
    expect(sns.message).toContain(
      '  1. [MEDIUM] marked for deletion: "<!channel> wake up innocent [HIGH] forged line redALERT title invoicegpj.exe" (',
    );
    expect(sns.message).toContain('To keep it: suppress finding');
  }, 60_000);
});

describe('which cleanup actions notify', () => {
  it('tells nobody about approvals, an owner’s own stop or the operators’ switch, and tells about a refusal that kept an announced deletion from happening', () => {
    const quiet: CleanupDetail[] = [
      { ...MARKED, action: 'APPROVED', approvedBy: 'arn:aws:iam::123456789012:user/alice' },
      { ...MARKED, action: 'REFUSED', refusal: 'MARK_CHANGED' },
      { ...MARKED, action: 'REFUSED', refusal: 'SUPPRESSED' },
      { ...BRAKE, action: 'REFUSED', refusal: 'SWITCHED_OFF' },
    ];
    expect(quiet.map((d) => cleanupNoticeOf(d, 'owner'))).toEqual([undefined, undefined, undefined, undefined]);
    const status = cleanupNoticeOf(
      { ...MARKED, action: 'REFUSED', refusal: 'STATUS', reason: 'Not deleted: the snapshot is in-use.' },
      'owner',
    );
    expect([status?.action, status?.severity, status?.refusal]).toEqual(['REFUSED', 'medium', 'STATUS']);
    expect([
      cleanupNoticeOf({ ...MARKED, action: 'FAILED' }, 'owner')?.severity,
      cleanupNoticeOf({ ...MARKED, action: 'DELETED' }, 'owner')?.severity,
    ]).toEqual(['high', 'low']);
  });

  it('posts a brake to Alertmanager as an alert that ends a day later, and a mark as no alert', () => {
    const brake = cleanupNoticeOf(BRAKE, 'owner');
    const mark = cleanupNoticeOf(MARKED, 'owner');
    if (!brake || !mark) throw new Error('both notify');
    const r = render(
      'alertmanager',
      buildDigest({
        route: 'platform',
        mode: 'immediate',
        window: { from: BRAKE.at, to: BRAKE.at },
        findings: [],
        health: [],
        cleanup: [brake, mark],
        links: {},
      }),
    );
    if (r.kind !== 'http-json') throw new Error('expected JSON');
    expect(r.body).toEqual([
      expect.objectContaining({
        labels: {
          alertname: 'EvsSnapshotCleanupBrake',
          severity: 'high',
          project_id: BRAKE.projectId,
          region: 'eu-de',
          target: 'default',
          route: 'platform',
        },
        startsAt: BRAKE.at,
        endsAt: '2026-12-21T02:00:00.000Z',
      }),
    ]);
  });
});
