import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifierHandler, type NotifierEvent, notifierDepsFromEnv } from '../../functions/notifier';
import type { FindingDetail, SnapshotFields } from '../../lib/events/contract';
import type { DeliveryMetric } from '../../lib/notify/notifier';
import { createLogger } from '../../lib/observability/log';
import { type LocalDynamo, startLocalDynamo } from '../../tools/local/dynamodb';
import { createNotificationsTable } from '../../tools/local/notifications';
import { type LocalFifoQueue, startLocalFifoQueue } from '../../tools/local/sqs';
import { loadEvent } from '../helpers/events';
import { type ScriptedReply, startScriptedServer } from '../helpers/scripted-server';

let dynamo: LocalDynamo;
let dlq: LocalFifoQueue;
const closers: Array<() => Promise<void>> = [];
const T0 = Date.parse('2026-03-02T10:00:30Z');

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  dlq = await startLocalFifoQueue();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_SQS: dlq.endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  await dlq.close();
  await dynamo.close();
});

/** A webhook receiver on loopback whose answers a test decides, keeping the JSON bodies it accepted. */
async function receiver(answer: (n: number) => ScriptedReply = () => ({ status: 200 })) {
  const server = await startScriptedServer((_req, n) => answer(n));
  closers.push(server.close);
  return {
    url: server.url,
    requests: server.requests,
    accepted: () =>
      server.requests
        .filter((_r, i) => answer(i + 1).status < 300)
        .map(
          (r) =>
            JSON.parse(r.body) as {
              digestId: string;
              findings: Array<{ transitionId: string; snapshot: { name: string } }>;
            },
        ),
  };
}

/** The real handler and wiring (settings from an environment, dynalite, the SQS dead-letter queue), on a clock the test moves. */
async function notifier(env: Record<string, string>) {
  const table = `notifications-${randomUUID().slice(0, 8)}`;
  await createNotificationsTable(dynamo.client, table);
  const clock = { now: T0 };
  const metrics: Array<{ metric: DeliveryMetric; destination: string }> = [];
  const base = notifierDepsFromEnv(
    { NOTIFICATIONS_TABLE: table, NOTIFY_DEAD_LETTER_QUEUE_URL: dlq.queueUrl, ...env },
    createLogger({}, () => undefined),
  );
  const handler = createNotifierHandler({
    ...base,
    build: () => {
      const deps = base.build();
      return {
        ...deps,
        now: () => clock.now,
        sleep: async (ms: number) => {
          clock.now += ms;
        },
        random: () => 0.5,
        count: (metric: DeliveryMetric, destination: string, kind) => {
          metrics.push({ metric, destination });
          deps.count(metric, destination, kind);
        },
      };
    },
  });
  const context = { getRemainingTimeInMillis: () => 60_000 } as Context;
  const invoke = (event: NotifierEvent) =>
    (handler as unknown as (e: NotifierEvent, c: Context) => Promise<any>)(event, context);
  return {
    clock,
    metrics,
    /** Scanner events as the queue hands them over. */
    deliver: (details: Array<{ type: string; detail: unknown }>) =>
      invoke({
        Records: details.map((d, i) => ({
          messageId: `m${i}-${randomUUID()}`,
          body: JSON.stringify({ 'detail-type': d.type, detail: d.detail }),
        })),
      } as unknown as SQSEvent),
    /** The schedule's run, `minutes` later. */
    tick: (minutes = 1) => {
      clock.now += minutes * 60_000;
      return invoke({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
    },
  };
}

const sample = loadEvent<{ detail: FindingDetail }>('samples/finding-error-status.json').detail;
let serial = 0;
/** A Finding event of the sample's shape for one snapshot. */
function finding(overrides: Partial<FindingDetail> & { owner?: string; name?: string } = {}): {
  type: string;
  detail: FindingDetail;
} {
  serial++;
  const { owner, name, ...rest } = overrides;
  const id = `${String(serial).padStart(8, '0')}-0000-4000-8000-000000000000`;
  return {
    type: 'EVS Snapshot Finding',
    detail: {
      ...sample,
      findingId: `f${String(serial).padStart(31, '0')}`,
      transitionId: `t${String(serial).padStart(31, '0')}`,
      snapshot: {
        ...(sample.snapshot as SnapshotFields),
        id,
        name: name ?? `snap-${serial}`,
        metadata: owner ? { owner } : {},
      },
      ...rest,
    },
  };
}

function routesFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'routes-')), 'routes.yml');
  writeFileSync(file, text);
  return file;
}

const names = (r: { accepted: () => Array<{ findings: Array<{ snapshot: { name: string } }> }> }) =>
  r
    .accepted()
    .flatMap((m) => m.findings.map((f) => f.snapshot.name))
    .sort();

describe('routes to owners', () => {
  it('sends a fleet with three owners to three destinations, each with only its own findings; a continue route copies to a second destination', async () => {
    const [a, b, c, audit] = await Promise.all([receiver(), receiver(), receiver(), receiver()]);
    const file = routesFile(`version: 1
routes:
  - name: team-a
    match: { metadata: { owner: [team-a] } }
    continue: true
    delivery: { mode: digest, window: 15m }
    destinations: [{ kind: webhook, url: "${a.url}/a" }]
  - name: audit
    match: { metadata: { owner: [team-a] } }
    delivery: { mode: digest, window: 15m }
    destinations: [{ kind: webhook, url: "${audit.url}/audit" }]
  - name: team-b
    match: { owner: [team-b] }
    delivery: { mode: immediate }
    destinations: [{ kind: webhook, url: "${b.url}/b" }]
  - name: everyone-else
    delivery: { mode: digest, window: 1h }
    destinations: [{ kind: webhook, url: "${c.url}/c" }]
`);
    const n = await notifier({ NOTIFY_ROUTES_FILE: file });
    const events = [
      finding({ owner: 'team-a' }),
      finding({ owner: 'team-b' }),
      finding({ owner: 'team-c' }),
      finding({ owner: 'team-a' }),
      finding({ owner: 'team-b' }),
      finding({}),
    ];
    const nameOf = (...i: number[]) => i.map((k) => events[k]?.detail.snapshot?.name).sort();
    await n.deliver(events);
    // Immediate: team-b has its message before any window closes; the digests wait for theirs.
    expect(names(b)).toEqual(nameOf(1, 4));
    expect(a.requests).toHaveLength(0);
    await n.tick(15);
    expect(names(a)).toEqual(nameOf(0, 3));
    expect(names(audit)).toEqual(nameOf(0, 3));
    expect(c.requests).toHaveLength(0);
    await n.tick(60);
    expect(names(c)).toEqual(nameOf(2, 5));
    // One message per route and window, and nothing again when nothing is new, even when the same events come again.
    await n.deliver(events.slice(0, 2));
    await n.deliver(events);
    await n.tick(60);
    expect([a, audit, b, c].map((r) => r.requests.length)).toEqual([1, 1, 1, 1]);
  });
});

describe('delivery that loses nothing', () => {
  it('keeps the digests for a destination answering 500 for 30 minutes and sends each once when it answers 200 again, while another destination is not held up', async () => {
    let n!: Awaited<ReturnType<typeof notifier>>;
    const statuses: number[] = [];
    const flaky = await startScriptedServer(() => {
      const status = n.clock.now < T0 + 30 * 60_000 ? 500 : 200;
      statuses.push(status);
      return { status };
    });
    closers.push(flaky.close);
    const healthy = await receiver();
    n = await notifier({
      NOTIFY_ROUTES_FILE: routesFile(`version: 1
routes:
  - name: both
    delivery: { mode: digest, window: 1m }
    destinations:
      - { kind: webhook, name: flaky, url: "${flaky.url}/hook" }
      - { kind: webhook, name: healthy, url: "${healthy.url}/hook" }
`),
    });
    const first = [finding(), finding(), finding()];
    const later = finding();
    await n.deliver(first);
    for (let minute = 1; minute <= 45; minute++) {
      await n.tick(1);
      if (minute === 10) await n.deliver([later]);
    }
    const all = [...first, later].map((e) => e.detail.transitionId).sort();
    const healthyBodies = healthy.accepted();
    expect(healthyBodies).toHaveLength(2);
    expect(healthyBodies.flatMap((b) => b.findings.map((f) => f.transitionId)).sort()).toEqual(all);
    const tried = flaky.requests.map((r, i) => ({
      status: statuses[i],
      body: JSON.parse(r.body) as { digestId: string; findings: Array<{ transitionId: string }> },
    }));
    expect(tried.filter((t) => t.status === 500).length).toBeGreaterThan(2);
    const delivered = tried.filter((t) => t.status === 200).map((t) => t.body);
    // Each digest accepted exactly once, the same digests the healthy destination got: nothing lost, nothing doubled.
    expect(delivered.map((b) => b.digestId).sort()).toEqual(healthyBodies.map((b) => b.digestId).sort());
    expect(delivered.flatMap((b) => b.findings.map((f) => f.transitionId)).sort()).toEqual(all);
    expect(n.metrics.filter((m) => m.destination === 'flaky' && m.metric === 'NotificationsSent')).toHaveLength(2);
    expect(
      n.metrics.filter((m) => m.destination === 'flaky' && m.metric === 'NotificationsDeferred').length,
    ).toBeGreaterThan(0);
    expect(n.metrics.filter((m) => m.metric === 'NotificationsFailed')).toEqual([]);
  });

  it('dead-letters a destination that never recovers, counting it failed, while the other destination keeps receiving', async () => {
    const broken = await receiver(() => ({ status: 503, headers: { 'Retry-After': '120' } }));
    const healthy = await receiver();
    const n = await notifier({
      NOTIFY_MAX_AGE_HOURS: '1',
      NOTIFY_ROUTES_FILE: routesFile(`version: 1
routes:
  - name: pair
    delivery: { mode: digest, window: 15m }
    destinations:
      - { kind: webhook, name: broken, url: "${broken.url}/hook" }
      - { kind: webhook, name: healthy, url: "${healthy.url}/hook" }
`),
    });
    const before = dlq.sent.length;
    await n.deliver([finding({ name: 'first' })]);
    for (let minute = 1; minute <= 90; minute++) {
      await n.tick(1);
      if (minute === 30) await n.deliver([finding({ name: 'second' })]);
    }
    expect(names(healthy)).toEqual(['first', 'second']);
    // Retry-After was honoured: attempts at least two minutes apart, so about one an interval, not one a minute.
    expect(broken.requests.length).toBeLessThan(60);
    const letters = dlq.sent
      .slice(before)
      .map((m) => JSON.parse(m.body) as { route: string; destination: string; lastError: string; findings: number });
    expect(letters.map((l) => [l.destination, l.lastError, l.findings])).toEqual([['broken', 'HTTP 503', 1]]);
    expect(JSON.stringify(letters)).not.toContain(broken.url);
    expect(n.metrics.filter((m) => m.metric === 'NotificationsFailed')).toEqual([
      { metric: 'NotificationsFailed', destination: 'broken' },
    ]);
    // The second digest is still within its hour: kept and retried, not dropped.
    expect(
      n.metrics.filter((m) => m.destination === 'broken' && m.metric === 'NotificationsDeferred').length,
    ).toBeGreaterThan(0);
  });
});

describe('escalations, resolutions and scan health', () => {
  it('pages an escalation on an immediate route at once, counted as escalated; a de-escalation reaches only the digest that asks for it', async () => {
    const [pager, digest] = await Promise.all([receiver(), receiver()]);
    const n = await notifier({
      NOTIFY_ROUTES_FILE: routesFile(`version: 1
routes:
  - name: pager
    match: { severity: [high], transition: [new, escalated] }
    continue: true
    delivery: { mode: immediate }
    destinations: [{ kind: webhook, url: "${pager.url}/p" }]
  - name: changes
    match: { transition: [deescalated, escalated] }
    delivery: { mode: digest, window: 15m }
    destinations: [{ kind: webhook, url: "${digest.url}/d" }]
`),
    });
    const up = finding({
      transition: 'CHANGED',
      findingType: 'ERROR_STATUS',
      severity: 'high',
      previous: { findingType: 'STUCK', severity: 'medium' },
      name: 'went-bad',
    });
    const down = finding({
      transition: 'CHANGED',
      findingType: 'STUCK',
      severity: 'medium',
      previous: { findingType: 'ERROR_STATUS', severity: 'high' },
      name: 'calmer',
    });
    await n.deliver([up, down]);
    const paged = pager.accepted() as unknown as Array<{
      counts: Array<{ kind: string; count: number }>;
      findings: Array<{ kind: string; snapshot: { name: string } }>;
    }>;
    expect(paged.map((m) => m.findings.map((f) => [f.kind, f.snapshot.name]))).toEqual([[['escalated', 'went-bad']]]);
    expect(paged[0]?.counts).toEqual([expect.objectContaining({ kind: 'escalated', count: 1 })]);
    await n.tick(15);
    expect(names(digest)).toEqual(['calmer', 'went-bad']);
  });

  it('sends RESOLVED to the routes that carried the finding, even when the snapshot no longer matches them', async () => {
    const [team, rest] = await Promise.all([receiver(), receiver()]);
    const n = await notifier({
      NOTIFY_ROUTES_FILE: routesFile(`version: 1
routes:
  - name: team-a
    match: { owner: [team-a] }
    delivery: { mode: digest, window: 15m }
    destinations: [{ kind: webhook, url: "${team.url}/a" }]
  - name: rest
    delivery: { mode: digest, window: 15m }
    destinations: [{ kind: webhook, url: "${rest.url}/r" }]
`),
    });
    const opened = finding({ owner: 'team-a', name: 'owned' });
    await n.deliver([opened]);
    await n.tick(15);
    // The owner tag was removed before the snapshot was cleaned up: the resolution still goes to team-a.
    const resolved = {
      type: opened.type,
      detail: {
        ...opened.detail,
        transition: 'RESOLVED' as const,
        transitionId: `r${opened.detail.transitionId.slice(1)}`,
        openForMinutes: 30,
        snapshot: { ...opened.detail.snapshot, metadata: {} },
      },
    };
    await n.deliver([resolved]);
    await n.tick(15);
    const bodies = team.accepted() as unknown as Array<{
      findings: Array<{ kind: string; snapshot: { name: string } }>;
    }>;
    expect(bodies.map((b) => b.findings.map((f) => [f.kind, f.snapshot.name]))).toEqual([
      [['new', 'owned']],
      [['resolved', 'owned']],
    ]);
    expect(rest.requests).toHaveLength(0);
  });

  it('notifies once when a project starts failing and once when it recovers, not every cycle', async () => {
    const hook = await receiver();
    const n = await notifier({ ALERT_WEBHOOK_URL: `${hook.url}/hook`, SCAN_CYCLE_MINUTES: '15' });
    const where = { projectId: 'f9e8d7c6b5a4938271605f4e3d2c1b0a', region: 'eu-de', target: 'default' };
    const failed = (at: string) => [
      {
        type: 'EVS Snapshot Scan Failed',
        detail: { ...loadEvent<{ detail: object }>('samples/scan-failed.json').detail, ...where, observedAt: at },
      },
      {
        type: 'EVS Snapshot Scan Summary',
        detail: {
          ...loadEvent<{ detail: object }>('samples/scan-summary-incomplete.json').detail,
          ...where,
          finishedAt: at,
        },
      },
    ];
    const healthy = (at: string) => [
      {
        type: 'EVS Snapshot Scan Summary',
        detail: { ...loadEvent<{ detail: object }>('samples/scan-summary.json').detail, ...where, finishedAt: at },
      },
    ];
    await n.deliver(healthy('2026-03-02T09:45:00.000Z'));
    for (const at of [
      '2026-03-02T10:00:00.000Z',
      '2026-03-02T10:15:00.000Z',
      '2026-03-02T10:30:00.000Z',
      '2026-03-02T10:45:00.000Z',
    ]) {
      await n.deliver(failed(at));
      await n.tick(15);
    }
    await n.deliver(healthy('2026-03-02T11:00:00.000Z'));
    await n.tick(15);
    await n.deliver(healthy('2026-03-02T11:15:00.000Z'));
    await n.tick(15);
    const bodies = hook.requests.map(
      (r) =>
        JSON.parse(r.body) as {
          health: Array<{ kind: string; since: string; failureCode?: string }>;
          findings: unknown[];
        },
    );
    expect(bodies.map((b) => b.health.map((h) => [h.kind, h.since, h.failureCode]))).toEqual([
      [['failing', '2026-03-02T10:00:00.000Z', 'UPSTREAM_ERROR']],
      [['recovered', '2026-03-02T10:00:00.000Z', undefined]],
    ]);
  });
});

describe('SNS', () => {
  it('publishes the default route digest to the alert topic as a readable subject and text, through the real SNS client', async () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:evs-alerts';
    const sns = await startScriptedServer(() => ({
      status: 200,
      headers: { 'Content-Type': 'text/xml' },
      body: '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>',
    }));
    closers.push(sns.close);
    process.env.AWS_ENDPOINT_URL_SNS = sns.url;
    try {
      const n = await notifier({ ALERT_TOPIC_ARN: topic, SCAN_CYCLE_MINUTES: '15' });
      await n.deliver([finding({ name: 'db-nightly' }), finding({ name: 'line\nALERT RESOLVED forged' })]);
      await n.tick(15);
      expect(sns.requests).toHaveLength(1);
      const form = new URLSearchParams(sns.requests[0]?.body);
      expect(form.get('Action')).toBe('Publish');
      expect(form.get('TopicArn')).toBe(topic);
      expect(form.get('Subject')).toMatch(/^[\x20-\x7e]{1,100}$/);
      expect(form.get('Subject')).toContain('2 new');
      const text = form.get('Message') ?? '';
      expect(text).toContain('db-nightly');
      expect(() => JSON.parse(text)).toThrow();
      // A newline in a name does not forge a line of its own.
      expect(text.split('\n').some((l) => l.startsWith('ALERT RESOLVED'))).toBe(false);
      expect(n.metrics).toEqual([{ metric: 'NotificationsSent', destination: 'topic' }]);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_SNS;
    }
  });
});
