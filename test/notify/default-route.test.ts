import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookBody } from '../../lib/notify/render/webhook';
import { buildScanner } from '../../lib/wiring/scanner';
import { loadScanSettings } from '../../lib/wiring/settings/scanner';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { createFindingsTable, type LocalDynamo, startLocalDynamo } from '../../tools/local/dynamodb';
import { startNotificationPath } from '../helpers/notifier';
import { startScriptedServer } from '../helpers/scripted-server';

// The scanner, the shipped rule, the queue and the notifier with only a webhook URL set: the default route.
let fleet: Fleet;
let emulator: RunningEmulator;
let dynamo: LocalDynamo;
let path: Awaited<ReturnType<typeof startNotificationPath>>;
let hook: Awaited<ReturnType<typeof startScriptedServer>>;
const clock = { now: 0 };
const CYCLE = 15 * 60_000;

beforeAll(async () => {
  fleet = generateFleet({ seed: 'default-route', size: 1_200, projects: 2 });
  clock.now = fleet.now;
  [emulator, dynamo, hook] = await Promise.all([
    startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } }),
    startLocalDynamo(),
    startScriptedServer(() => ({ status: 200 })),
  ]);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  await createFindingsTable(dynamo.client, 'findings');
  path = await startNotificationPath(
    dynamo,
    { ALERT_WEBHOOK_URL: `${hook.url}/hook`, SCAN_CYCLE_MINUTES: '15' },
    clock,
  );
}, 60_000);
afterAll(async () => {
  await Promise.all([emulator?.close(), path?.close(), hook?.close()]);
  await dynamo?.close();
});

/** One scan cycle: every project scanned, its events through the rule and the queue to the notifier, then the schedule's run at the cycle's end. */
async function cycle(): Promise<WebhookBody[]> {
  const before = hook.requests.length;
  const settings = loadScanSettings({
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    EVS_REGION: 'eu-de',
    SCAN_PROJECT_IDS: fleet.projects.map((p) => p.projectId).join(','),
    EVENT_BUS_NAME: 'sentinel',
    FINDINGS_TABLE: 'findings',
  });
  // The fleet's own clock stands still (no snapshot ages into a new finding): a cycle changes only what the test changes.
  const scan = buildScanner(settings, {
    eventBridge: new EventBridgeClient({ endpoint: path.bus.url }),
    now: () => fleet.now,
  });
  const result = await scan(Date.now() + 60_000);
  expect(result.ok).toBe(true);
  await path.queue.drained();
  await path.tick(CYCLE);
  return hook.requests.slice(before).map((r) => JSON.parse(r.body) as WebhookBody);
}

const total = (b: WebhookBody, kind: string) =>
  b.counts.filter((c) => c.kind === kind).reduce((n, c) => n + c.count, 0);

describe('the default route (only ALERT_WEBHOOK_URL set)', () => {
  let stuck: { id: string; projectId: string } | undefined;

  it('sends one digest stating the counts for the first cycle of a fleet with hundreds of findings', async () => {
    const messages = await cycle();
    const highAndMedium = [...fleet.expected.values()].filter((t) => t !== 'STALE').length;
    expect(highAndMedium).toBeGreaterThan(100);
    expect(messages).toHaveLength(1);
    const [digest] = messages as [WebhookBody];
    expect(digest.route).toBe('default');
    expect(total(digest, 'new')).toBe(highAndMedium);
    expect(digest.headline).toContain(`${highAndMedium} new`);
    const found = digest.findings.find((f) => f.findingType === 'STUCK');
    expect(found).toBeDefined();
    stuck = found && { id: found.snapshot.id, projectId: found.projectId };
  }, 120_000);

  it('sends nothing for a cycle in which nothing changed', async () => {
    expect(await cycle()).toEqual([]);
  }, 120_000);

  it('names a STUCK snapshot that turned to error in the next cycle, as escalated', async () => {
    if (!stuck) throw new Error('the first cycle found no STUCK snapshot');
    emulator.store.resetStatus(stuck.projectId, stuck.id, 'error', new Date(fleet.now).toISOString().replace('Z', ''));
    const messages = await cycle();
    expect(messages).toHaveLength(1);
    const [digest] = messages as [WebhookBody];
    expect(digest.findings.map((f) => [f.kind, f.snapshot.id, f.findingType, f.previous?.findingType])).toEqual([
      ['escalated', stuck.id, 'ERROR_STATUS', 'STUCK'],
    ]);
  }, 120_000);

  it('sends the low-severity (STALE) findings once a day, in a digest of their own', async () => {
    const before = hook.requests.length;
    await path.tick(24 * 3_600_000);
    const daily = hook.requests.slice(before).map((r) => JSON.parse(r.body) as WebhookBody);
    expect(daily.map((d) => d.route)).toEqual(['default-daily']);
    expect(total(daily[0] as WebhookBody, 'new')).toBe(
      [...fleet.expected.values()].filter((t) => t === 'STALE').length,
    );
    expect(daily[0]?.counts.every((c) => c.severity === 'low')).toBe(true);
  });
});
