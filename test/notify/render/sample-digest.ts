/** A digest like a first scan cycle sends: 26 transitions over three types, a failing and a recovered project, money and links. */
import type { Severity } from '../../../lib/domain/finding';
import type { Digest, DigestCount, NoticeFinding, NoticeKind } from '../../../lib/notify/model';

export const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const OBSERVED = '2026-12-05T09:15:00.000Z';

interface Spec {
  kind: NoticeKind;
  type: string;
  severity: Severity;
  status: string;
  size: number;
  name: string | null;
  firstSeen: string | null;
  owner?: string | null;
  previous?: { findingType: string; severity: Severity };
}

const hex = (n: number, width = 8) => n.toString(16).padStart(width, '0');

/** One transition; `overrides.snapshot` merges into the snapshot. */
export function noticeFinding(i: number, spec: Spec, overrides: Partial<NoticeFinding> = {}): NoticeFinding {
  const id = `${hex(i)}-5e1f-4c0a-9b7d-${hex(i * 7919, 12)}`;
  const base: NoticeFinding = {
    kind: spec.kind,
    findingId: hex(i * 104729, 32),
    transitionId: `${hex(i * 104729, 32)}:${spec.kind}:${OBSERVED}`,
    findingType: spec.type,
    severity: spec.severity,
    ...(spec.previous ? { previous: spec.previous } : {}),
    reason:
      spec.type === 'ERROR_STATUS'
        ? `status is ${spec.status}`
        : spec.type === 'STUCK'
          ? `status ${spec.status} for 5 hours (threshold 2 hours)`
          : spec.type === 'ORPHANED'
            ? 'its volume no longer exists'
            : 'older than 30 days (threshold 30 days)',
    projectId: PROJECT,
    region: 'eu-west-101',
    target: 'prod',
    observedAt: OBSERVED,
    firstSeenAt: spec.firstSeen,
    ageMinutes: spec.firstSeen ? Math.round((Date.parse(OBSERVED) - Date.parse(spec.firstSeen)) / 60_000) : null,
    ...(spec.kind === 'resolved' ? { openForMinutes: 1_570 } : {}),
    owner: spec.owner === undefined ? 'team-storage' : spec.owner,
    snapshot: {
      id,
      name: spec.name,
      status: spec.status,
      volume_id: `${hex(i + 4096)}-aaaa-4bbb-8ccc-${hex(i, 12)}`,
      size: spec.size,
      created_at: spec.firstSeen ?? '2026-10-01T00:00:00.000Z',
      description: 'nightly backup',
      metadata: { owner: spec.owner ?? 'team-storage', app: 'billing' },
    },
  };
  return { ...base, ...overrides, snapshot: { ...base.snapshot, ...(overrides.snapshot ?? {}) } };
}

/** The counts a notifier would compute from these transitions. */
export function countsOf(findings: readonly NoticeFinding[]): DigestCount[] {
  const map = new Map<string, DigestCount>();
  for (const f of findings) {
    const key = `${f.kind}|${f.findingType}|${f.severity}`;
    const c = map.get(key) ?? { kind: f.kind, findingType: f.findingType, severity: f.severity, count: 0, gb: 0 };
    c.count += 1;
    c.gb += f.snapshot.size;
    map.set(key, c);
  }
  return [...map.values()];
}

/** A digest holding exactly these findings (counts derived from them). */
export function digestOf(findings: NoticeFinding[], overrides: Partial<Digest> = {}): Digest {
  return {
    id: 'd-2026-12-05T09:15-prod-default',
    route: 'default',
    mode: 'digest',
    window: { from: '2026-12-05T09:00:00.000Z', to: OBSERVED },
    counts: countsOf(findings),
    openTotals: { high: 14, medium: 9, low: 41 },
    findings,
    health: [],
    cleanup: [],
    links: {
      report: 'https://reports.example.com/fleet/latest.html',
      findings: 'https://api.example.com/prod/findings?route=default&state=open',
    },
    ...overrides,
  };
}

/** The digest the docs' pictures show and most tests start from. */
export function sampleDigest(): Digest {
  const findings: NoticeFinding[] = [];
  let i = 1;
  for (let n = 0; n < 12; n += 1)
    findings.push(
      noticeFinding(i++, {
        kind: 'new',
        type: 'ERROR_STATUS',
        severity: 'high',
        status: n % 3 === 0 ? 'error_deleting' : 'error',
        size: 20 + n * 10,
        name: n === 0 ? '数据库备份-生产' : `db-backup-${n}`,
        firstSeen: `2026-12-0${1 + (n % 4)}T0${n % 10}:00:00.000Z`,
        owner: n % 2 ? 'team-payments' : 'team-storage',
      }),
    );
  findings.push(
    noticeFinding(i++, {
      kind: 'escalated',
      type: 'ERROR_STATUS',
      severity: 'high',
      status: 'error_deleting',
      size: 500,
      name: 'orders-volume-nightly',
      firstSeen: '2026-12-04T21:00:00.000Z',
      previous: { findingType: 'STUCK', severity: 'medium' },
    }),
  );
  for (let n = 0; n < 8; n += 1)
    findings.push(
      noticeFinding(i++, {
        kind: 'new',
        type: 'STUCK',
        severity: 'medium',
        status: 'deleting',
        size: 40,
        name: `stuck-${n}`,
        firstSeen: '2026-12-05T04:00:00.000Z',
        owner: null,
      }),
    );
  for (let n = 0; n < 3; n += 1)
    findings.push(
      noticeFinding(i++, {
        kind: 'new',
        type: 'ORPHANED',
        severity: 'medium',
        status: 'available',
        size: 10,
        name: null,
        firstSeen: '2026-11-20T00:00:00.000Z',
      }),
    );
  findings.push(
    noticeFinding(i++, {
      kind: 'reminded',
      type: 'ERROR_STATUS',
      severity: 'high',
      status: 'error',
      size: 80,
      name: 'old-broken',
      firstSeen: '2026-11-02T10:00:00.000Z',
    }),
  );
  findings.push(
    noticeFinding(i++, {
      kind: 'resolved',
      type: 'STUCK',
      severity: 'medium',
      status: 'available',
      size: 30,
      name: 'was-stuck',
      firstSeen: '2026-12-04T07:00:00.000Z',
    }),
  );
  return digestOf(findings, {
    money: { currency: 'EUR', newPerMonth: 61.2, openPerMonth: 412.75 },
    health: [
      {
        kind: 'failing',
        projectId: 'f9e8d7c6b5a4938271605f4e3d2c1b0a',
        region: 'eu-west-101',
        target: 'staging',
        failureCode: 'UPSTREAM_UNAVAILABLE',
        message: 'Cinder answered 503 three times',
        since: '2026-12-05T08:45:00.000Z',
        observedAt: OBSERVED,
      },
      {
        kind: 'recovered',
        projectId: '11111111111111111111111111111111',
        region: 'eu-west-101',
        target: 'dev',
        since: '2026-12-05T06:00:00.000Z',
        observedAt: OBSERVED,
      },
    ],
  });
}

/** Names people with cloud access could give a snapshot to attack a notification. */
export const HOSTILE_NAMES = {
  newline: 'innocent\nRESOLVED ERROR_STATUS snapshot all-fine in project x after 1 minutes open',
  crlf: 'innocent\r\n[HIGH] forged line',
  separators: 'a\u2028RESOLVED u2028\u2029RESOLVED u2029',
  slackChannel: '<!channel> wake up',
  slackLink: '<https://evil.example|Click>',
  ampersand: 'a &amp; b & <b>c</b>',
  escape: 'red\u001b[31mALERT\u001b[0m\u001b]0;owned\u0007 title',
  nul: 'nul\u0000byte',
  bidi: 'invoice\u202egpj.exe',
  markdown: '**bold** [click](https://evil.example) # heading _x_ `code`',
  long: 'x'.repeat(10_000),
  chinese: '数据库备份-生产环境-每日',
} as const;

/** The same digest observed at `at` instead of 2026-12-05 09:15 UTC: every timestamp in it moved by the same amount. */
export function observedAt<T>(value: T, at: Date): T {
  const shift = at.getTime() - Date.parse(OBSERVED);
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
  return JSON.parse(JSON.stringify(value), (_k, v) =>
    typeof v === 'string' && iso.test(v) ? new Date(Date.parse(v) + shift).toISOString() : v,
  ) as T;
}
