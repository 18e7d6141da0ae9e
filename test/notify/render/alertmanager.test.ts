import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_HOLD_HOURS,
  FINDING_ALERTNAME,
  type PostableAlert,
  renderAlertmanager,
  SCAN_HEALTH_ALERTNAME,
} from '../../../lib/notify/render/alertmanager';
import { render } from '../../../lib/notify/render/index';
import { alertmanagerConfig, type RunningAlertmanager, startAlertmanager } from '../../helpers/alertmanager';
import { hostileDigest } from './hostile';
import { digestOf, HOSTILE_NAMES, noticeFinding, observedAt, PROJECT, sampleDigest } from './sample-digest';

interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}
interface AlertGroup {
  labels: Record<string, string>;
  alerts: GettableAlert[];
}

let am: RunningAlertmanager;
let hook: Server;
let hookUrl: string;
/** What Alertmanager's webhook receiver delivered: one entry per notification. */
const delivered: {
  status: string;
  groupLabels: Record<string, string>;
  alerts: { status: string; labels: Record<string, string> }[];
}[] = [];

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      delivered.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const address = hook.address();
  hookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/alertmanager`;
  am = await startAlertmanager(alertmanagerConfig(hookUrl));
}, 30_000);

afterAll(async () => {
  await am?.stop();
  await new Promise((r) => hook?.close(r));
});

async function post(alerts: PostableAlert[]): Promise<Response> {
  return fetch(`${am.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
}
async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${am.url}${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}
const ofRoute = (route: string) => `filter=${encodeURIComponent(`route="${route}"`)}`;
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await read();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    v = await read();
  }
  return v;
}

describe('the Alertmanager body', () => {
  it('is one alert per finding and per health notice, open ones held ahead, resolved ones ended when they resolved', () => {
    const digest = sampleDigest();
    const alerts = renderAlertmanager(digest);
    // 26 findings, the escalated one's previous labels ended, 2 health notices.
    expect(alerts).toHaveLength(29);
    const resolved = alerts.find((a) => a.annotations.transition === 'resolved');
    expect(resolved?.endsAt).toBe('2026-12-05T09:15:00.000Z');
    const open = alerts.find((a) => a.annotations.transition === 'new');
    expect(Date.parse(open?.endsAt ?? '') - Date.parse('2026-12-05T09:15:00.000Z')).toBe(
      DEFAULT_HOLD_HOURS * 3_600_000,
    );
    expect(open?.labels).toMatchObject({
      alertname: FINDING_ALERTNAME,
      severity: 'high',
      finding_type: 'ERROR_STATUS',
      project_id: PROJECT,
      region: 'eu-west-101',
      target: 'prod',
      route: 'default',
    });
    expect(Object.keys(open?.labels ?? {}).sort()).toEqual([
      'alertname',
      'finding_type',
      'owner',
      'project_id',
      'region',
      'route',
      'severity',
      'snapshot_id',
      'target',
    ]);
    const previous = alerts.filter(
      (a) => a.labels.snapshot_id === alerts.find((b) => b.annotations.transition === 'escalated')?.labels.snapshot_id,
    );
    expect(
      previous.map((a) => [a.labels.finding_type, a.labels.severity, a.endsAt === '2026-12-05T09:15:00.000Z']),
    ).toEqual([
      ['ERROR_STATUS', 'high', false],
      ['STUCK', 'medium', true],
    ]);
    const health = alerts.filter((a) => a.labels.alertname === SCAN_HEALTH_ALERTNAME);
    expect(health.map((a) => a.endsAt)).toEqual([
      new Date(Date.parse('2026-12-05T09:15:00.000Z') + 720 * 3_600_000).toISOString(),
      '2026-12-05T09:15:00.000Z',
    ]);
    expect(render('alertmanager', digest, { alertmanager: { holdHours: 2 } })).toMatchObject({ kind: 'http-json' });
  });

  it('sanitises label values: one line, no control characters, capped at 128, never empty, Chinese intact', () => {
    for (const a of renderAlertmanager(hostileDigest())) {
      for (const v of Object.values(a.labels)) {
        expect(v.length).toBeGreaterThan(0);
        expect(Array.from(v).length).toBeLessThanOrEqual(128);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
        expect(v).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
      }
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
      for (const v of Object.values(a.annotations)) expect(v).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    }
    expect(renderAlertmanager(hostileDigest()).map((a) => a.labels.owner)).toContain(HOSTILE_NAMES.chinese);
  });
});

describe("Debian's Alertmanager receiving the alerts", () => {
  it('accepts the digest, groups the open alerts by project, and lists none of the ended ones as active', async () => {
    const now = new Date();
    const digest = observedAt(sampleDigest(), now);
    const res = await post(renderAlertmanager(digest));
    expect(res.status).toBe(200);

    const active = await get<GettableAlert[]>(`/api/v2/alerts?active=true&${ofRoute('default')}`);
    // 25 open findings and the failing project; the resolved finding, the escalated finding's old labels and the recovered project ended.
    expect(active).toHaveLength(26);
    expect(active.every((a) => a.status.state === 'active')).toBe(true);
    expect(active.filter((a) => a.labels.alertname === SCAN_HEALTH_ALERTNAME).map((a) => a.labels.target)).toEqual([
      'staging',
    ]);
    expect(
      active.some(
        (a) =>
          a.labels.finding_type === 'STUCK' && a.labels.severity === 'medium' && a.annotations.transition === undefined,
      ),
    ).toBe(false);
    expect(active.find((a) => a.annotations.snapshot_name === '数据库备份-生产')?.labels.owner).toBe('team-storage');

    const groups = await get<AlertGroup[]>(`/api/v2/alerts/groups?${ofRoute('default')}`);
    const byProject = Object.fromEntries(groups.map((g) => [g.labels.project_id, g.alerts.length]));
    expect(byProject).toEqual({ [PROJECT]: 25, f9e8d7c6b5a4938271605f4e3d2c1b0a: 1 });
    for (const g of groups) for (const a of g.alerts) expect(a.labels.project_id).toBe(g.labels.project_id);

    // The receiver hears of the alerts by project group, a notification listing many alerts, not one per alert.
    const ofDefault = () =>
      delivered.filter((d) => d.status === 'firing' && d.alerts.some((a) => a.labels.route === 'default'));
    const firing = await until(
      async () => ofDefault(),
      (v) =>
        v.some(
          (d) => d.groupLabels.project_id === PROJECT && d.alerts.filter((a) => a.status === 'firing').length === 25,
        ) && v.some((d) => d.groupLabels.project_id !== PROJECT),
    );
    expect(new Set(firing.map((d) => d.groupLabels.project_id))).toEqual(
      new Set([PROJECT, 'f9e8d7c6b5a4938271605f4e3d2c1b0a']),
    );
    for (const d of firing) for (const a of d.alerts) expect(a.labels.project_id).toBe(d.groupLabels.project_id);
    expect(firing.length).toBeLessThanOrEqual(4);
  }, 30_000);

  it('ends an open alert when its RESOLVED transition is posted, and the receiver hears it resolved', async () => {
    // Opened a minute ago, resolved a second ago: a RESOLVED is always delivered after it happened.
    const now = new Date(Date.now() - 60_000);
    const open = noticeFinding(
      9_001,
      {
        kind: 'new',
        type: 'ERROR_STATUS',
        severity: 'high',
        status: 'error',
        size: 5,
        name: 'will-recover',
        firstSeen: '2026-12-05T08:00:00.000Z',
      },
      { projectId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
    );
    const route = 'resolve-test';
    expect((await post(renderAlertmanager(observedAt(digestOf([open], { route }), now)))).status).toBe(200);
    const before = await get<GettableAlert[]>(`/api/v2/alerts?active=true&${ofRoute(route)}`);
    expect(before.map((a) => a.annotations.snapshot_name)).toEqual(['will-recover']);

    const later = new Date(Date.now() - 1_000);
    const resolved = {
      ...open,
      kind: 'resolved' as const,
      openForMinutes: 75,
      snapshot: { ...open.snapshot, status: 'available' },
    };
    expect((await post(renderAlertmanager(observedAt(digestOf([resolved], { route }), later)))).status).toBe(200);
    const after = await until(
      () => get<GettableAlert[]>(`/api/v2/alerts?active=true&${ofRoute(route)}`),
      (v) => v.length === 0,
      3_000,
    );
    expect(after).toEqual([]);
    const resolvedNote = await until(
      async () => delivered.filter((d) => d.status === 'resolved' && d.alerts.some((a) => a.labels.route === route)),
      (v) => v.length >= 1,
    );
    expect(resolvedNote[0]?.alerts.map((a) => [a.status, a.labels.snapshot_id])).toEqual([
      ['resolved', open.snapshot.id],
    ]);
  }, 30_000);

  it('accepts hostile names as label values and gives them back intact and one-line', async () => {
    const now = new Date();
    const digest = observedAt({ ...hostileDigest(), route: 'hostile' }, now);
    expect((await post(renderAlertmanager(digest))).status).toBe(200);
    const active = await get<GettableAlert[]>(`/api/v2/alerts?active=true&${ofRoute('hostile')}`);
    expect(active.length).toBeGreaterThanOrEqual(12);
    const owners = active.filter((a) => a.labels.alertname === FINDING_ALERTNAME).map((a) => a.labels.owner ?? '');
    expect(owners).toContain(HOSTILE_NAMES.chinese);
    expect(owners).toContain('<!channel> wake up');
    for (const o of owners) expect(o).not.toContain('\n');
  }, 30_000);
});
