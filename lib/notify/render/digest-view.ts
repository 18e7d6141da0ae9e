/**
 * What every human format says about a digest, decided once: the headline, the counts, the open
 * totals, the top findings, the health and the cleanup notices, as cleaned one-line text. Each renderer only
 * lays it out and escapes it for its format, so Slack, Teams and e-mail never disagree on numbers.
 */
import { describeMinutes, SEVERITIES, type Severity } from '../../domain/finding';
import { UNOWNED } from '../../domain/owner';
import type { CleanupNotice, CleanupNoticeAction, Digest, NoticeFinding, NoticeKind, ScanHealthNotice } from '../model';
import { cleanText } from '../text';

/** How many findings a human format lists before "and N more". */
export const DEFAULT_MAX_LINES = 20;
/** Caps for untrusted fields in human formats, in characters. */
export const NAME_MAX = 80;
export const REASON_MAX = 200;
export const OWNER_MAX = 64;

export const KIND_ORDER: readonly NoticeKind[] = ['new', 'escalated', 'reminded', 'deescalated', 'resolved'];
export const KIND_LABEL: Record<NoticeKind, string> = {
  new: 'new',
  escalated: 'escalated',
  reminded: 'reminded',
  deescalated: 'de-escalated',
  resolved: 'resolved',
};

export interface CountRow {
  findingType: string;
  severity: Severity;
  /** Count per kind, zero when none. */
  byKind: Record<NoticeKind, number>;
  gb: number;
}

/** One finding as one line's worth of cleaned parts; the renderer escapes and joins them. */
export interface FindingLine {
  kind: NoticeKind;
  severity: Severity;
  findingType: string;
  /** Cleaned name, or the snapshot id when it has none. */
  name: string;
  snapshotId: string;
  status: string;
  gb: number;
  project: string;
  owner: string;
  /** "open 3 days", "was STUCK/medium", "open 5 hours before it resolved" … */
  detail: string;
  reason: string;
}

export interface HealthLine {
  kind: ScanHealthNotice['kind'];
  project: string;
  text: string;
}

/** How each cleanup action reads in a headline and a line. */
export const CLEANUP_LABEL: Record<CleanupNoticeAction, string> = {
  MARKED: 'marked for deletion',
  DELETED: 'deleted',
  FAILED: 'delete failed',
  REFUSED: 'not deleted',
  BRAKE: 'cleanup brake',
};
const CLEANUP_ORDER: readonly CleanupNoticeAction[] = ['BRAKE', 'FAILED', 'REFUSED', 'MARKED', 'DELETED'];

/** One cleanup notice as cleaned parts; the renderer escapes and joins them. */
export interface CleanupLine {
  action: CleanupNoticeAction;
  severity: Severity;
  project: string;
  /** Cleaned name, or the snapshot id; null for a brake (it is about a project). */
  name: string | null;
  snapshotId: string | null;
  gb: number | null;
  owner: string;
  /** "will be deleted after 2026-12-20 01:00 UTC under rule old-tests", or the cleanup's reason. */
  text: string;
  /** MARKED: how to keep the snapshot. */
  stop: string | null;
}

export interface DigestView {
  /** One line: "route: 3 new, 1 escalated, 2 resolved (120 GB)". */
  headline: string;
  /** The headline without the route: "3 new, 1 escalated, 2 resolved (120 GB)". */
  changes: string;
  route: string;
  window: string;
  totalsByKind: Record<NoticeKind, number>;
  rows: CountRow[];
  /** "open now: 12 high, 3 medium, 0 low", or null when unknown. */
  open: string | null;
  money: string | null;
  lines: FindingLine[];
  /** Findings not listed. */
  more: number;
  health: HealthLine[];
  cleanup: CleanupLine[];
  /** Cleanup notices not listed. */
  cleanupMore: number;
  links: { report?: string; findings?: string };
  gbChanged: number;
}

const SEVERITY_RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2 };

/** High first, then oldest (first seen, else created), then id: the order people read findings in. */
export function orderFindings(findings: readonly NoticeFinding[]): NoticeFinding[] {
  const since = (f: NoticeFinding) => Date.parse(f.firstSeenAt ?? f.snapshot.created_at) || 0;
  return [...findings].sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      since(a) - since(b) ||
      a.findingId.localeCompare(b.findingId),
  );
}

const round = (gb: number) => Math.round(gb * 100) / 100;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function emptyKinds(): Record<NoticeKind, number> {
  return { new: 0, escalated: 0, deescalated: 0, reminded: 0, resolved: 0 };
}

/** The text every human format shows for a digest. */
export function viewDigest(digest: Digest, maxLines = DEFAULT_MAX_LINES): DigestView {
  const totalsByKind = emptyKinds();
  const rowsByKey = new Map<string, CountRow>();
  let gbChanged = 0;
  for (const c of digest.counts) {
    totalsByKind[c.kind] += c.count;
    gbChanged += c.gb;
    const key = `${c.severity}\u0000${c.findingType}`;
    const row = rowsByKey.get(key) ?? {
      findingType: cleanText(c.findingType, 40),
      severity: c.severity,
      byKind: emptyKinds(),
      gb: 0,
    };
    row.byKind[c.kind] += c.count;
    row.gb += c.gb;
    rowsByKey.set(key, row);
  }
  const rows = [...rowsByKey.values()]
    .map((r) => ({ ...r, gb: round(r.gb) }))
    .sort(
      (a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.findingType.localeCompare(b.findingType),
    );

  const route = cleanText(digest.route, 64);
  const parts = KIND_ORDER.filter((k) => totalsByKind[k] > 0).map((k) => `${totalsByKind[k]} ${KIND_LABEL[k]}`);
  const failing = digest.health.filter((h) => h.kind === 'failing').length;
  const recovered = digest.health.length - failing;
  if (failing) parts.push(`${plural(failing, 'project')} failing`);
  if (recovered) parts.push(`${plural(recovered, 'project')} recovered`);
  parts.push(...cleanupCounts(digest.cleanup));
  const gbText = gbChanged > 0 ? ` (${round(gbChanged)} GB)` : '';
  const changes = `${parts.join(', ') || 'no changes'}${gbText}`;
  const headline = `${route}: ${changes}`;

  const open = digest.openTotals
    ? `open now: ${SEVERITIES.map((s) => `${digest.openTotals?.[s] ?? 0} ${s}`).join(', ')}`
    : null;
  const money = digest.money
    ? `${formatMoney(digest.money.newPerMonth, digest.money.currency)}/month in new findings${
        digest.money.openPerMonth === null
          ? ''
          : `, ${formatMoney(digest.money.openPerMonth, digest.money.currency)}/month open in total`
      }`
    : null;

  const ordered = orderFindings(digest.findings);
  const lines = ordered.slice(0, Math.max(0, maxLines)).map(lineOf);
  const cleanup = digest.cleanup.slice(0, Math.max(0, maxLines)).map(cleanupLine);
  return {
    headline,
    changes,
    route,
    window: describeWindow(digest.window.from, digest.window.to),
    totalsByKind,
    rows,
    open,
    money,
    lines,
    more: ordered.length - lines.length,
    health: digest.health.map(healthLine),
    cleanup,
    cleanupMore: digest.cleanup.length - cleanup.length,
    links: {
      ...(digest.links.report ? { report: cleanText(digest.links.report, 2_048) } : {}),
      ...(digest.links.findings ? { findings: cleanText(digest.links.findings, 2_048) } : {}),
    },
    gbChanged: round(gbChanged),
  };
}

/** "2026-12-05 09:00–09:15 UTC", or both dates when the window spans days. */
function describeWindow(from: string, to: string): string {
  const f = minuteOf(from);
  const t = minuteOf(to);
  return f.slice(0, 10) === t.slice(0, 10) ? `${f}–${t.slice(11)} UTC` : `${f} – ${t} UTC`;
}

const minuteOf = (iso: string) => cleanText(iso, 40).slice(0, 16).replace('T', ' ');

/** "prod/0a1b2c3d/eu-west-101": people recognise a project by its first eight characters; the links list the rest. */
function placeOf(target: string, projectId: string, region: string): string {
  return `${cleanText(target, 40)}/${Array.from(cleanText(projectId, 64)).slice(0, 8).join('')}/${cleanText(region, 32)}`;
}

/** The same view listing only its first `n` findings, the rest added to "and N more". */
export function withLines(view: DigestView, n: number): DigestView {
  const lines = view.lines.slice(0, Math.max(0, n));
  return { ...view, lines, more: view.more + view.lines.length - lines.length };
}

/** A view one line shorter, for a format whose size limit it passes: findings go first, then cleanup lines; undefined when none is left to drop. */
export function shorterView(view: DigestView): DigestView | undefined {
  if (view.lines.length > 0) return withLines(view, view.lines.length - 1);
  if (view.cleanup.length === 0) return undefined;
  return { ...view, cleanup: view.cleanup.slice(0, -1), cleanupMore: view.cleanupMore + 1 };
}

/** "2 marked for deletion, 1 cleanup brake": counts of a digest's cleanup notices, loudest first. */
export function cleanupCounts(cleanup: readonly CleanupNotice[]): string[] {
  return CLEANUP_ORDER.map((a) => [a, cleanup.filter((c) => c.action === a).length] as const)
    .filter(([, n]) => n > 0)
    .map(([a, n]) => `${n} ${CLEANUP_LABEL[a]}`);
}

function formatMoney(amount: number, currency: string): string {
  return `${cleanText(currency, 8)} ${amount.toFixed(2)}`;
}

function lineOf(f: NoticeFinding): FindingLine {
  const name = cleanText(f.snapshot.name, NAME_MAX);
  let detail: string;
  if (f.kind === 'resolved')
    detail = f.openForMinutes === undefined ? 'resolved' : `resolved after ${describeMinutes(f.openForMinutes)} open`;
  else if (f.previous && (f.kind === 'escalated' || f.kind === 'deescalated'))
    detail = `was ${cleanText(f.previous.findingType, 40)}/${f.previous.severity}`;
  else if (f.firstSeenAt) detail = `open since ${minuteOf(f.firstSeenAt)} UTC`;
  else detail = f.ageMinutes === null ? '' : `age ${describeMinutes(f.ageMinutes)}`;
  return {
    kind: f.kind,
    severity: f.severity,
    findingType: cleanText(f.findingType, 40),
    name: name || cleanText(f.snapshot.id, 64),
    snapshotId: cleanText(f.snapshot.id, 64),
    status: cleanText(f.snapshot.status, 32),
    gb: f.snapshot.size,
    project: placeOf(f.target, f.projectId, f.region),
    owner: cleanText(f.owner, OWNER_MAX) || UNOWNED,
    detail,
    reason: cleanText(f.reason, REASON_MAX),
  };
}

function healthLine(h: ScanHealthNotice): HealthLine {
  const project = placeOf(h.target, h.projectId, h.region);
  const since = minuteOf(h.since);
  const minutes = Math.max(0, Math.round((Date.parse(h.observedAt) - Date.parse(h.since)) / 60_000));
  const text =
    h.kind === 'failing'
      ? `scans failing since ${since} UTC${h.failureCode ? ` (${cleanText(h.failureCode, 40)})` : ''}${h.message ? `: ${cleanText(h.message, REASON_MAX)}` : ''}`
      : `scans recovered after ${Number.isFinite(minutes) ? describeMinutes(minutes) : 'an outage'} (failing since ${since} UTC)`;
  return { kind: h.kind, project, text };
}

function cleanupLine(c: CleanupNotice): CleanupLine {
  const project = placeOf(c.target, c.projectId, c.region);
  const owner = cleanText(c.owner, OWNER_MAX) || UNOWNED;
  const rule = cleanText(c.rule, 64);
  const reason = cleanText(c.reason, REASON_MAX);
  const s = c.snapshot;
  let text: string;
  if (c.action === 'MARKED')
    text = `will be deleted after ${c.deleteAfter ? `${minuteOf(c.deleteAfter)} UTC` : 'its grace period'} under rule ${rule}`;
  else if (c.action === 'DELETED') text = `deleted under rule ${rule}`;
  else if (c.action === 'REFUSED') text = `${c.refusal ? `${cleanText(c.refusal, 32)}: ` : ''}${reason}`;
  else text = reason;
  const stop = c.stop
    ? `To keep it: suppress finding ${cleanText(c.findingId, 64)} (${cleanText(c.stop.suppress, 200)}), or remove the metadata key ${cleanText(c.stop.metadataKey, 64)} from the snapshot.`
    : null;
  return {
    action: c.action,
    severity: c.severity,
    project,
    name: s ? cleanText(s.name, NAME_MAX) || cleanText(s.id, 64) : null,
    snapshotId: s ? cleanText(s.id, 64) : null,
    gb: s ? s.size : null,
    owner,
    text,
    stop,
  };
}

/** A cleanup line as plain text: "[MEDIUM] marked for deletion: "name" (id, 40 GB) in place, owner team — will be deleted after … To keep it: …". */
export function plainCleanupLine(l: CleanupLine): string {
  const owner = l.owner === UNOWNED ? 'unowned' : `owner ${l.owner}`;
  const what =
    l.name === null ? `in ${l.project}` : `"${l.name}" (${l.snapshotId}, ${l.gb} GB) in ${l.project}, ${owner}`;
  return `[${l.severity.toUpperCase()}] ${CLEANUP_LABEL[l.action]}: ${what} — ${l.text}${l.stop ? `. ${l.stop}` : ''}`;
}

/** A finding line as plain text, the same words in every format: "[HIGH] ERROR_STATUS new: "name" (id, 100 GB, error) …". */
export function plainFindingLine(l: FindingLine): string {
  const owner = l.owner === UNOWNED ? 'unowned' : `owner ${l.owner}`;
  const detail = l.detail ? `; ${l.detail}` : '';
  return `[${l.severity.toUpperCase()}] ${l.findingType} ${KIND_LABEL[l.kind]}: "${l.name}" (${l.snapshotId}, ${l.gb} GB, ${l.status}) in ${l.project}, ${owner}${detail} — ${l.reason}`;
}
