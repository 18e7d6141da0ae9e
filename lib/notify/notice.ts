/**
 * Scanner events as the notifier reads them: a Finding event becomes a NoticeFinding (how the
 * transition counts for people: new, escalated, ...); Summary and Scan Failed events become the
 * project's scan health, which notifies only when it changes.
 */
import { SEVERITIES, type Severity } from '../domain/finding';
import { ownerOf } from '../domain/owner';
import { DETAIL_TYPES, type FindingDetail, type ScanFailedDetail, type SummaryDetail } from '../events/contract';
import type { NoticeFinding, NoticeKind } from './model';

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
    : { id: v?.id ?? '', name: v?.name ?? null, status: v?.status ?? '', volume_id: v?.id ?? '', size: v?.size ?? 0, created_at: v?.created_at ?? '' };
  return {
    kind: noticeKindOf(detail),
    findingId: detail.findingId,
    transitionId: detail.transitionId,
    findingType: detail.findingType,
    severity: detail.severity,
    ...(detail.previous ? { previous: { findingType: detail.previous.findingType, severity: detail.previous.severity } } : {}),
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
    return d.complete ? { ...base, failing: false } : { ...base, failing: true, ...(d.failureCode ? { failureCode: d.failureCode } : {}) };
  }
  if (detailType === DETAIL_TYPES.failed) {
    const d = detail as ScanFailedDetail;
    return { projectId: d.projectId, region: d.region, target: d.target, observedAt: d.observedAt, failing: true, failureCode: d.failureCode, message: d.message };
  }
  return undefined;
}
