import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookBody } from '../../lib/notify/render/webhook';
import { startLocalStack } from '../helpers/local-stack';

// `npm start` as a user runs it, with a loopback webhook: ALERT_WEBHOOK_URL is all the default route needs.
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
let local: Awaited<ReturnType<typeof startLocalStack>>;
let base = '';
let emulatorUrl = '';
let reportUrl = '';
let hook: Awaited<ReturnType<typeof startLocalStack>>['hook'];
const digests = () => hook.requests.map((r) => JSON.parse(r.body) as WebhookBody);

beforeAll(async () => {
  local = await startLocalStack(200);
  ({ base, emulatorUrl, reportUrl, hook } = local);
  expect(local.output()).toContain('[local] ready');
}, 90_000);

afterAll(() => local?.stop());

describe('npm start (local stack)', () => {
  it('serves seed-shaped pages through serverless-offline with next links to itself', async () => {
    const response = await fetch(`${base}/v2/${PROJECT}/snapshots?limit=5&status=available`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { snapshots: unknown[]; snapshots_links: Array<{ href: string }> };
    expect(body.snapshots).toHaveLength(5);
    expect(body.snapshots_links[0]?.href.startsWith(`${base}/v2/${PROJECT}/snapshots?`)).toBe(true);
  });

  it('refuses all_tenants with a seed-shaped 400', async () => {
    const response = await fetch(`${base}/v2/${PROJECT}/snapshots?all_tenants=1`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { badRequest: { code: string } }).badRequest.code).toBe('UNKNOWN_PARAMETER');
  });

  const waitFor = async (ready: () => boolean, seconds: number) => {
    for (let i = 0; i < seconds * 2 && !ready(); i++) await new Promise((r) => setTimeout(r, 500));
    expect(ready()).toBe(true);
  };

  it('posts one digest of what the first cycle found and prints it; an unchanged cycle posts nothing; a deleted snapshot is reported resolved', async () => {
    await waitFor(() => digests().some((d) => d.counts.some((c) => c.kind === 'new')), 150);
    // The first cycle's findings arrive as a handful of digests (one per minute window the scans span), not one message per finding:
    // wait until a whole window (and the notifier's next tick) passed without another.
    for (let quiet = 0, seen = hook.requests.length, i = 0; quiet < 65 && i < 150; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      quiet = hook.requests.length === seen ? quiet + 1 : 0;
      seen = hook.requests.length;
    }
    const first = digests();
    expect(first.length).toBeLessThanOrEqual(3);
    // The counts cover every finding; the JSON body lists the first 500 and says how many it left out.
    const counted = first.reduce(
      (n, d) => n + d.counts.filter((c) => c.kind === 'new').reduce((m, c) => m + c.count, 0),
      0,
    );
    expect(counted).toBeGreaterThan(100);
    expect(first.reduce((n, d) => n + d.findings.length + d.omittedFindings, 0)).toBe(counted);
    const announced = first.flatMap((d) => d.findings.filter((f) => f.kind === 'new'));
    process.stderr.write(`first cycle: ${first.length} digest(s), ${counted} new findings\n`);
    expect(local.output()).toMatch(/NOTIFY default: \d+ new/);
    const target =
      announced.find((f) => f.findingType === 'ERROR_STATUS' && f.projectId === PROJECT) ??
      announced.find((f) => f.findingType === 'ERROR_STATUS');
    if (!target) throw new Error('no ERROR_STATUS finding announced');
    // The findings API reads the same table.
    const listed = (await (
      await fetch(`${base}/v2/${target.projectId}/findings?severity=high&state=OPEN&limit=1000`)
    ).json()) as { findings: Array<{ snapshot_id: string }> };
    expect(listed.findings.map((f) => f.snapshot_id)).toContain(target.snapshot.id);
    // A whole cycle later, with nothing changed in the fleet: nothing new was posted.
    const settled = hook.requests.length;
    await new Promise((r) => setTimeout(r, 70_000));
    expect(hook.requests.length).toBe(settled);
    // Delete the snapshot in the emulator, as Cinder's own API would: the next cycle's digest says resolved.
    const deleted = await fetch(`${emulatorUrl}/v2/${target.projectId}/snapshots/${target.snapshot.id}`, {
      method: 'DELETE',
      headers: { 'X-Auth-Token': `admin:${target.projectId}` },
    });
    expect(deleted.status).toBe(202);
    await waitFor(
      () =>
        digests().some((d) => d.findings.some((f) => f.kind === 'resolved' && f.snapshot.id === target.snapshot.id)),
      150,
    );
    const resolvedIn = digests().filter((d) => d.findings.some((f) => f.kind === 'resolved'));
    expect(resolvedIn).toHaveLength(1);
    expect(resolvedIn[0]?.findings.map((f) => [f.kind, f.snapshot.id])).toEqual([['resolved', target.snapshot.id]]);
    // Nothing was announced twice.
    const newIds = digests().flatMap((d) => d.findings.filter((f) => f.kind === 'new').map((f) => f.transitionId));
    expect(new Set(newIds).size).toBe(newIds.length);
  }, 550_000);

  it('writes the fleet report after a cycle, served by the local S3 as the page npm start prints, and every digest links it with a presigned URL a plain fetch opens', async () => {
    expect(local.output()).toContain(`${reportUrl}/fleet-report.html`);
    let report: { totals: { projects: number; snapshots: number } } | undefined;
    // 3,000 seeded, less the one the test above deleted (once the report after its scan ran).
    const current = () => report?.totals.projects === 2 && report.totals.snapshots === 2999;
    for (let i = 0; i < 180 && !current(); i++) {
      const response = await fetch(`${reportUrl}/fleet-report.json`);
      if (response.ok) report = (await response.json()) as typeof report;
      if (!current()) await new Promise((r) => setTimeout(r, 500));
    }
    expect(report?.totals).toMatchObject({ projects: 2, snapshots: 2999 });
    const page = await fetch(`${reportUrl}/fleet-report.html`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<canvas id="chart-age"');
    const links = digests().map((d) => d.links.report);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      expect(link?.startsWith(`${reportUrl}/fleet-report.html?`)).toBe(true);
      expect(new URL(link as string).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      const linked = await fetch(link as string);
      expect(linked.status).toBe(200);
      expect(await linked.text()).toContain('<canvas id="chart-age"');
    }
  }, 120_000);
});
