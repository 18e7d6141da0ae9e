/**
 * Alertmanager API v2 (`POST /api/v2/alerts`): one alert per finding and per scan-health notice,
 * so teams that run Alertmanager keep their grouping, routing, inhibitions and silences.
 *
 * Keeping alerts open without a send every cycle: Alertmanager resolves an alert without
 * `endsAt` `resolve_timeout` (default 5 minutes) after it last heard of it, and a digest is sent
 * only when something changed. So an open finding is sent with `endsAt` a hold ahead of its
 * observation (default 72 hours, three times the default 24-hour reminder interval), and each
 * REMINDER re-sends it and moves `endsAt` on; RESOLVED sends `endsAt` = when it resolved. An
 * alert's identity in Alertmanager is its label set: when a finding changes type or severity,
 * the alert under its previous labels is ended in the same post. A failing project gets no
 * reminders (it notifies once, and once more when it recovers), so its hold is longer: 30 days.
 * A cleanup brake is an alert too (a person must look at the policy or the caps), held for a day:
 * a brake still holding is notified again the next UTC day. Marks and deletions are not alerts:
 * nothing is wrong, and Alertmanager has no place for "will happen on this date".
 */
import type { Severity } from '../../domain/finding';
import { UNOWNED } from '../../domain/owner';
import type { CleanupNotice, Digest, NoticeFinding, ScanHealthNotice } from '../model';
import { cleanText } from '../text';
import { orderFindings, plainFindingLine, viewDigest } from './digest-view';

/** How long an alert stays open after it was last sent, unless a REMINDER or RESOLVED comes first. */
export const DEFAULT_HOLD_HOURS = 72;
/** How long a failing project's alert stays open; its recovered notice ends it sooner. */
export const DEFAULT_HEALTH_HOLD_HOURS = 720;
export const FINDING_ALERTNAME = 'EvsSnapshotFinding';
export const SCAN_HEALTH_ALERTNAME = 'EvsSnapshotScanFailing';
export const CLEANUP_BRAKE_ALERTNAME = 'EvsSnapshotCleanupBrake';
/** A brake notifies once per project and UTC day; its alert lasts that long. */
const BRAKE_HOLD_HOURS = 24;
const LABEL_MAX = 128;
const ANNOTATION_MAX = 1_024;

/** A `postableAlert` of Alertmanager's API v2. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

export interface AlertmanagerOptions {
  /** Hours an open alert stays open without a re-send; must exceed the reminder interval plus the route's window. */
  holdHours?: number;
  /** Hours a failing project's alert stays open without its recovered notice (default 720). */
  healthHoldHours?: number;
}

/** A label value Alertmanager accepts and people can read: one line, no controls, capped, never empty. */
export function labelValue(value: string | null | undefined, fallback = 'unknown'): string {
  return cleanText(value, LABEL_MAX) || fallback;
}

const annotation = (value: string) => cleanText(value, ANNOTATION_MAX);
const plusHours = (iso: string, hours: number) => new Date(Date.parse(iso) + hours * 3_600_000).toISOString();

/** The alerts a digest posts to Alertmanager. */
export function renderAlertmanager(digest: Digest, options: AlertmanagerOptions = {}): PostableAlert[] {
  const hold = options.holdHours ?? DEFAULT_HOLD_HOURS;
  const links = viewDigest({ ...digest, findings: [], counts: [], health: [], cleanup: [] }, 0).links;
  const common: Partial<PostableAlert> = links.findings ? { generatorURL: links.findings } : {};
  const linkNotes: Record<string, string> = {
    ...(links.report ? { report_url: links.report } : {}),
    ...(links.findings ? { findings_url: links.findings } : {}),
  };
  const alerts: PostableAlert[] = [];
  for (const f of orderFindings(digest.findings)) {
    const startsAt =
      f.firstSeenAt ??
      (f.openForMinutes === undefined ? f.observedAt : plusHours(f.observedAt, -f.openForMinutes / 60));
    const ending = f.kind === 'resolved';
    alerts.push({
      labels: findingLabels(f, f.findingType, f.severity, digest.route),
      annotations: { ...findingAnnotations(f), ...linkNotes },
      startsAt,
      endsAt: ending ? f.observedAt : plusHours(f.observedAt, hold),
      ...common,
    });
    if (
      f.previous &&
      (f.kind === 'escalated' || f.kind === 'deescalated') &&
      (f.previous.findingType !== f.findingType || f.previous.severity !== f.severity)
    ) {
      alerts.push({
        labels: findingLabels(f, f.previous.findingType, f.previous.severity, digest.route),
        annotations: {
          summary: annotation(`${f.previous.findingType} became ${f.findingType} (${f.severity})`),
          ...linkNotes,
        },
        startsAt,
        endsAt: f.observedAt,
        ...common,
      });
    }
  }
  for (const h of digest.health)
    alerts.push(healthAlert(h, digest.route, options.healthHoldHours ?? DEFAULT_HEALTH_HOLD_HOURS, linkNotes));
  for (const c of digest.cleanup) if (c.action === 'BRAKE') alerts.push(brakeAlert(c, digest.route, linkNotes));
  return alerts;
}

function findingLabels(
  f: NoticeFinding,
  findingType: string,
  severity: Severity,
  route: string,
): Record<string, string> {
  return {
    alertname: FINDING_ALERTNAME,
    severity,
    finding_type: labelValue(findingType),
    project_id: labelValue(f.projectId),
    region: labelValue(f.region),
    target: labelValue(f.target),
    snapshot_id: labelValue(f.snapshot.id),
    owner: labelValue(f.owner, UNOWNED),
    route: labelValue(route),
  };
}

function findingAnnotations(f: NoticeFinding): Record<string, string> {
  const [line] = viewDigest(
    {
      id: '',
      route: '',
      mode: 'immediate',
      window: { from: f.observedAt, to: f.observedAt },
      counts: [],
      openTotals: null,
      findings: [f],
      health: [],
      cleanup: [],
      links: {},
    },
    1,
  ).lines;
  const name = cleanText(f.snapshot.name, 200);
  return {
    summary: annotation(
      `${f.findingType} (${f.severity}) snapshot "${name || f.snapshot.id}" in ${f.target}/${f.projectId}/${f.region}`,
    ),
    description: annotation(line ? plainFindingLine(line) : f.reason),
    snapshot_name: annotation(name),
    volume_id: annotation(f.snapshot.volume_id),
    size_gb: String(f.snapshot.size),
    status: annotation(f.snapshot.status),
    transition: f.kind,
  };
}

function healthAlert(
  h: ScanHealthNotice,
  route: string,
  hold: number,
  linkNotes: Record<string, string>,
): PostableAlert {
  const project = `${h.target}/${h.projectId}/${h.region}`;
  return {
    labels: {
      alertname: SCAN_HEALTH_ALERTNAME,
      severity: 'medium',
      project_id: labelValue(h.projectId),
      region: labelValue(h.region),
      target: labelValue(h.target),
      route: labelValue(route),
    },
    annotations: {
      summary: annotation(`Scans of ${project} ${h.kind === 'failing' ? 'are failing' : 'recovered'}`),
      description: annotation(
        h.kind === 'failing'
          ? `Scans of ${project} failing since ${h.since}${h.failureCode ? ` (${h.failureCode})` : ''}${h.message ? `: ${h.message}` : ''}. Findings in this project are not being updated.`
          : `Scans of ${project} recovered at ${h.observedAt} (failing since ${h.since}).`,
      ),
      ...(h.failureCode ? { failure_code: annotation(h.failureCode) } : {}),
      ...linkNotes,
    },
    startsAt: h.since,
    endsAt: h.kind === 'recovered' ? h.observedAt : plusHours(h.observedAt, hold),
  };
}

function brakeAlert(c: CleanupNotice, route: string, linkNotes: Record<string, string>): PostableAlert {
  return {
    labels: {
      alertname: CLEANUP_BRAKE_ALERTNAME,
      severity: c.severity,
      project_id: labelValue(c.projectId),
      region: labelValue(c.region),
      target: labelValue(c.target),
      route: labelValue(route),
    },
    annotations: {
      summary: annotation(`Cleanup brake in ${c.target}/${c.projectId}/${c.region}: nothing deleted`),
      description: annotation(c.reason),
      ...(c.brake ? { planned: String(c.brake.planned), snapshots: String(c.brake.snapshots) } : {}),
      ...linkNotes,
    },
    startsAt: c.at,
    endsAt: plusHours(c.at, BRAKE_HOLD_HOURS),
  };
}
