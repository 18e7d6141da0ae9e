/**
 * Scanner events as the notifier reads them: a Finding event becomes a NoticeFinding (how the
 * transition counts for people: new, escalated, ...); Summary and Scan Failed events become the
 * project's scan health, which notifies only when it changes; a Cleanup event that tells someone
 * something becomes a CleanupNotice.
 */
import { createHash } from 'node:crypto';
import { SEVERITIES, type Severity } from '../domain/finding';
import { ownerOf } from '../domain/owner';
import {
  type CleanupAction,
  type CleanupDetail,
  type CleanupRefusal,
  DETAIL_TYPES,
  type FindingDetail,
  MARK_KEY,
  type ScanFailedDetail,
  type SummaryDetail,
} from '../events/contract';
import type { CleanupNotice, CleanupNoticeAction, NoticeFinding, NoticeKind } from './model';

const rank = (s: Severity) => SEVERITIES.length - SEVERITIES.indexOf(s);

/** How a transition counts: CHANGED to a higher severity is an escalation (it notifies like OPENED), to a lower or equal one a de-escalation. */
export function noticeKindOf(detail: Pick<FindingDetail, 'transition' | 'severity' | 'previous'>): NoticeKind {
  switch (detail.transition) {
    case 'OPENED':
    case 'OBSERVED':
      return 'new';
    case 'REMINDER':
      return 'reminded';
    case 'RESOLVED':
      return 'resolved';
    case 'CHANGED':
      return detail.previous && rank(detail.severity) > rank(detail.previous.severity) ? 'escalated' : 'deescalated';
  }
}

/**
 * The notice one Finding event makes. A finding about a volume (UNPROTECTED_VOLUME, 2.3) has no
 * snapshot: its `snapshot` fields describe the volume (id, name, status, size) and `volume` says so.
 */
export function noticeOf(detail: FindingDetail, ownerKey: string): NoticeFinding {
  const s = detail.snapshot;
  const v = detail.volume;
  const subject: NoticeFinding['snapshot'] = s
    ? {
        id: s.id,
        name: s.name,
        status: s.status,
        volume_id: s.volume_id,
        size: s.size,
        created_at: s.created_at,
        ...(s.description !== undefined ? { description: s.description } : {}),
        ...(s.metadata !== undefined ? { metadata: s.metadata } : {}),
      }
    : {
        id: v?.id ?? '',
        name: v?.name ?? null,
        status: v?.status ?? '',
        volume_id: v?.id ?? '',
        size: v?.size ?? 0,
        created_at: v?.created_at ?? '',
      };
  return {
    kind: noticeKindOf(detail),
    findingId: detail.findingId,
    transitionId: detail.transitionId,
    findingType: detail.findingType,
    severity: detail.severity,
    ...(detail.previous
      ? { previous: { findingType: detail.previous.findingType, severity: detail.previous.severity } }
      : {}),
    reason: detail.reason,
    projectId: detail.projectId,
    region: detail.region,
    target: detail.target,
    observedAt: detail.observedAt,
    firstSeenAt: detail.firstSeenAt,
    ageMinutes: detail.ageMinutes,
    ...(detail.openForMinutes !== undefined ? { openForMinutes: detail.openForMinutes } : {}),
    owner: ownerOf(s?.metadata, { metadataKey: ownerKey }),
    snapshot: subject,
    ...(s === undefined && v ? { volume: true } : {}),
  };
}

/** What one scan said about its project's health: failing (with the code) or healthy. */
export interface ScanOutcome {
  projectId: string;
  region: string;
  target: string;
  observedAt: string;
  failing: boolean;
  failureCode?: string;
  message?: string;
}

/** The scan outcome an event reports, or undefined (skipped scans say nothing about health). */
export function scanOutcomeOf(detailType: string, detail: unknown): ScanOutcome | undefined {
  if (detailType === DETAIL_TYPES.summary) {
    const d = detail as SummaryDetail;
    if (d.skipped) return undefined;
    const base = { projectId: d.projectId, region: d.region, target: d.target, observedAt: d.finishedAt };
    return d.complete
      ? { ...base, failing: false }
      : { ...base, failing: true, ...(d.failureCode ? { failureCode: d.failureCode } : {}) };
  }
  if (detailType === DETAIL_TYPES.failed) {
    const d = detail as ScanFailedDetail;
    return {
      projectId: d.projectId,
      region: d.region,
      target: d.target,
      observedAt: d.observedAt,
      failing: true,
      failureCode: d.failureCode,
      message: d.message,
    };
  }
  return undefined;
}

/**
 * How loud each cleanup action is. A brake (a run would have deleted more than the caps allow)
 * and a failed delete need a person now: high. A mark gives the owner until its date to object:
 * medium, like the findings that need a look. A deletion was announced by its mark and is done:
 * low, for the record. A refusal means a safety check kept an announced deletion from happening:
 * medium.
 */
export const CLEANUP_SEVERITY: Readonly<Record<CleanupNoticeAction, Severity>> = {
  BRAKE: 'high',
  FAILED: 'high',
  MARKED: 'medium',
  REFUSED: 'medium',
  DELETED: 'low',
};

/**
 * Refusals that tell nobody anything: the owner's own stop (suppressed, key removed), a snapshot
 * or finding already gone, and the operators' switch (they turned it off; it would repeat every
 * run). The others (STATUS, SYSTEM_SNAPSHOT, UNDETERMINED) keep an announced deletion from happening.
 */
const QUIET_REFUSALS: ReadonlySet<CleanupRefusal> = new Set([
  'SUPPRESSED',
  'MARK_CHANGED',
  'GONE',
  'NOT_OPEN',
  'NO_LONGER_MATCHES',
  'SWITCHED_OFF',
]);

const NOTIFYING: ReadonlySet<CleanupAction> = new Set(['MARKED', 'DELETED', 'FAILED', 'REFUSED', 'BRAKE']);

const hash32 = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

/**
 * What a cleanup notice is de-duplicated on. A mark and a deletion happen once, so their audit id
 * does. Every hourly run that trips a project's brake, or fails or refuses the same deletion, writes
 * a new audit id: those notify once per project (brake) or finding (failure, refusal) and UTC day,
 * the day the per-day caps count.
 */
export function cleanupNoticeKey(
  detail: Pick<
    CleanupDetail,
    'action' | 'auditId' | 'at' | 'target' | 'region' | 'projectId' | 'findingId' | 'refusal' | 'deleteAfter'
  >,
): string {
  const day = detail.at.slice(0, 10);
  switch (detail.action) {
    case 'BRAKE':
      return hash32('cleanup', 'BRAKE', detail.target, detail.region, detail.projectId, day);
    case 'FAILED':
    case 'REFUSED':
      return hash32(
        'cleanup',
        detail.action,
        detail.target,
        detail.region,
        detail.projectId,
        detail.findingId ?? '',
        detail.refusal ?? '',
        detail.deleteAfter ?? '',
        day,
      );
    default:
      return detail.auditId;
  }
}

/** The notice one Cleanup event makes, or undefined when it is not worth telling anyone (approvals, quiet refusals). */
export function cleanupNoticeOf(detail: CleanupDetail, ownerKey: string): CleanupNotice | undefined {
  if (!NOTIFYING.has(detail.action)) return undefined;
  if (detail.action === 'REFUSED' && (!detail.refusal || QUIET_REFUSALS.has(detail.refusal))) return undefined;
  const action = detail.action as CleanupNoticeAction;
  const s = detail.snapshot;
  const marked = action === 'MARKED' && s && detail.findingId;
  return {
    action,
    key: cleanupNoticeKey(detail),
    auditId: detail.auditId,
    severity: CLEANUP_SEVERITY[action],
    at: detail.at,
    projectId: detail.projectId,
    region: detail.region,
    target: detail.target,
    rule: detail.rule,
    findingId: detail.findingId,
    snapshot: s
      ? {
          id: s.id,
          name: s.name,
          status: s.status,
          size: s.size,
          ...(s.metadata !== undefined ? { metadata: s.metadata } : {}),
        }
      : null,
    deleteAfter: detail.deleteAfter,
    // The routes' owner key first (as for findings), else who cleanup saw as the owner.
    owner: ownerOf(s?.metadata, { metadataKey: ownerKey }) ?? detail.owner,
    ...(detail.refusal ? { refusal: detail.refusal } : {}),
    reason: detail.reason,
    ...(marked
      ? {
          stop: {
            suppress: `POST /v2/${detail.projectId}/findings/${detail.findingId}/suppression`,
            metadataKey: MARK_KEY,
          },
        }
      : {}),
    ...(detail.brake ? { brake: detail.brake } : {}),
  };
}
