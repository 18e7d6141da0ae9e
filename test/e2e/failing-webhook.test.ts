import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../helpers/local-stack';

// `npm start` whose ALERT_WEBHOOK_URL answers 404 to everything: the notifier gives the digest up
// (a 404 will not get better by retrying), says so, and the local stack goes on serving.
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
let local: Awaited<ReturnType<typeof startLocalStack>>;

beforeAll(async () => {
  local = await startLocalStack(404);
  expect(local.output()).toContain('[local] ready');
}, 90_000);

afterAll(() => local?.stop());

describe('npm start with a webhook that answers 404', () => {
  it('reports the undeliverable digest, without the webhook URL, and keeps serving', async () => {
    const done = () => local.hook.requests.length > 0 && local.output().includes('notification undeliverable');
    for (let i = 0; i < 360 && !done(); i++) await new Promise((r) => setTimeout(r, 500));
    expect(local.hook.requests.length).toBeGreaterThan(0);
    expect(local.output()).toContain('notification undeliverable');
    expect(local.output()).not.toContain(local.hook.url);
    expect(local.output()).not.toContain('serverless-offline exited');
    expect(local.stack.exitCode).toBeNull();
    expect((await fetch(`${local.base}/v2/${PROJECT}/snapshots?limit=1`)).status).toBe(200);
  }, 200_000);
});
