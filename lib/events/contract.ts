/**
 * The scanner's outbound contract, in one place for subscribers: source, detail-types, schema
 * version and the shape of each `detail`. JSON Schemas for each live in `events/schemas/`.
 * Additive changes keep SCHEMA_VERSION's major number; anything else bumps it.
 * What each version added: docs/scanner.md#schema-versions.
 */
import { createHash } from 'node:crypto';
import type { FailureCode } from '../domain/failure';
import type { Classification, FindingType, RetentionPlace, Severity } from '../domain/finding';
import { type Snapshot, type SnapshotFields, snapshotCoreOf } from '../domain/snapshot';
import type { Transition } from '../domain/transition';
import type { VolumeFields } from '../domain/volume';

export const SCHEMA_VERSION = '2.3';
export const DEFAULT_SOURCE = 'evs.snapshot-scanner';

export const DETAIL_TYPES = {
  finding: 'EVS Snapshot Finding',
  summary: 'EVS Snapshot Scan Summary',
  failed: 'EVS Snapshot Scan Failed',
  cleanup: 'EVS Snapshot Cleanup',
} as const;
export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

// The domain words a detail is made of, re-exported so a subscriber still reads one file.
export type { SnapshotCore, SnapshotFields } from '../domain/snapshot';
export { TRANSITIONS, type Transition } from '../domain/transition';
export type { VolumeFields } from '../domain/volume';

/** Where a finding stands in its lifecycle. */
export interface TransitionInfo {
  transition: Transition;
  /** Same transition of the same finding → same id, however often it is sent. */
  transitionId: string;
  /** When the scanner first saw this finding open (null without a findings table). */
  firstSeenAt: string | null;
  /** When a scan last saw it (for RESOLVED: the last scan that did). */
  lastSeenAt: string;
  /** For RESOLVED: minutes from firstSeenAt to the scan that found it gone. */
  openForMinutes?: number;
  /** For CHANGED: what it was before. */
  previous?: { findingType: FindingType; severity: Severity };
}

export interface FindingDetail extends TransitionInfo {
  schemaVersion: typeof SCHEMA_VERSION;
  /** Same project + snapshot → same id on every run: the finding, whatever its type now. */
  findingId: string;
  findingType: FindingType;
  severity: Severity;
  /** The policy rule that matched (2.2); empty on RESOLVED findings recorded before policies. */
  rule: string;
  reason: string;
  projectId: string;
  region: string;
  target: string;
  scanId: string;
  observedAt: string;
  thresholdMinutes: number | null;
  ageMinutes: number | null;
  measuredFrom: 'created_at' | 'updated_at';
  /** The snapshot, for every finding about one (all types but UNPROTECTED_VOLUME). */
  snapshot?: SnapshotFields;
  /** The volume, for findings about a volume (UNPROTECTED_VOLUME, 2.3). */
  volume?: VolumeFields;
  /** EXCESS_RETENTION (2.3): the volume, the snapshot's rank among its snapshots newest first, what the rule keeps. */
  retention?: RetentionPlace;
  /** Set when the entry was too large for EventBridge and optional fields were dropped. */
  truncated?: boolean;
}

export type CountMap = Record<string, number>;

/** Transitions a run announced (accepted by PutEvents), and the findings it saw open. */
export interface TransitionCounts {
  opened: number;
  changed: number;
  reminded: number;
  resolved: number;
  /** Findings seen open and not suppressed (without a table: findings observed). */
  open: number;
  /** Findings seen that are suppressed. */
  suppressed: number;
}

export interface SummaryDetail extends TransitionCounts {
  schemaVersion: typeof SCHEMA_VERSION;
  scanId: string;
  projectId: string;
  region: string;
  target: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** True only when every page of the project was read. */
  complete: boolean;
  snapshotsRead: number;
  pagesRead: number;
  countsByStatus: CountMap;
  countsByFindingType: CountMap;
  /** GB of the snapshots by status, and of the findings by type (2.2). */
  gbByStatus: CountMap;
  gbByFindingType: CountMap;
  /** Snapshots whose timestamps could not be read, so no age rule applied to them. */
  unreadableTimestamps: number;
  /** Rows listed that could not be judged: reported here, left out of the counts and totals (2.3). */
  malformedRows: number;
  /** Volumes listed for the orphan check; null when the policy has no rule needing them (2.2). */
  volumesRead: number | null;
  /** Snapshots no finding could be decided for, because the volumes could not be listed (2.2). */
  undetermined: number;
  /** The cloud's own backup snapshots a cleanup rule would have matched, left alone (2.3). */
  protectedSnapshots: number;
  /** Volumes with no recent snapshot (UNPROTECTED_VOLUME findings); null when the policy has no such rule (2.3). */
  unprotectedVolumes: number | null;
  /** Whether this run kept findings in a table (transitions) or only observed them. */
  stateful: boolean;
  /** 1 when another scan of this project held its lease, so this run left it alone. */
  skipped: number;
  /** Present when `complete` is false. */
  failureCode?: ScanFailureCode;
  /** Monthly cost at the configured prices (2.3); absent without prices. */
  money?: SummaryMoney;
  /** The latest fleet report, openable in a browser without credentials until it expires (2.3). */
  reportUrl?: string;
}

/** A summary's money: per month, in `currency`, rounded to the cent; an upper bound (see `basis`). */
export interface SummaryMoney {
  currency: string;
  /** What the amounts are computed from: `size`, the source disk's GB (no usage figure is listed). */
  basis: 'size';
  perMonth: number;
  /** What the flagged snapshots cost: saved per month if they were removed. */
  flaggedPerMonth: number;
  flaggedPerMonthByFindingType: CountMap;
}

export type ScanFailureCode = FailureCode;

export interface ScanFailedDetail {
  schemaVersion: typeof SCHEMA_VERSION;
  /** The same whenever the same notice is re-sent: de-duplicate on it (2.3). */
  failureId: string;
  scanId: string;
  projectId: string;
  region: string;
  target: string;
  observedAt: string;
  failureCode: ScanFailureCode;
  message: string;
  upstreamStatus?: number;
  upstreamRequestId?: string;
  /** How far the scan got before it stopped. */
  snapshotsRead: number;
  pagesRead: number;
}

/**
 * What cleanup did or refused (2.3): `MARKED` (the snapshot carries the delete-after key, its
 * owner is told when and how to stop it), `APPROVED` and `APPROVAL_WITHDRAWN` (by whom),
 * `DELETED` (the upstream accepted the delete and the snapshot shows `deleting` or is gone),
 * `REFUSED` (a safety check said no: `refusal` says which), `FAILED` (the upstream refused or the
 * delete could not be confirmed), `BRAKE` (a project's deletions this run were held back by a cap).
 */
export const CLEANUP_ACTIONS = [
  'MARKED',
  'APPROVED',
  'APPROVAL_WITHDRAWN',
  'DELETED',
  'REFUSED',
  'FAILED',
  'BRAKE',
] as const;
export type CleanupAction = (typeof CLEANUP_ACTIONS)[number];

/** The metadata key a marked snapshot carries; its value is the earliest deletion time (ISO, UTC). Removing it stops the deletion. */
export const MARK_KEY = 'snapshot-sentinel:delete-after';

/** Why a due deletion was not done. */
export const CLEANUP_REFUSALS = [
  'GONE',
  'SUPPRESSED',
  'NOT_OPEN',
  'MARK_CHANGED',
  'STATUS',
  'SYSTEM_SNAPSHOT',
  'NO_LONGER_MATCHES',
  'UNDETERMINED',
  'SWITCHED_OFF',
] as const;
export type CleanupRefusal = (typeof CLEANUP_REFUSALS)[number];

export interface CleanupDetail {
  schemaVersion: typeof SCHEMA_VERSION;
  /** The audit item's id: the same action sent again has the same id. */
  auditId: string;
  action: CleanupAction;
  at: string;
  projectId: string;
  region: string;
  target: string;
  /** The cleanup run; null for approvals over the API. */
  runId: string | null;
  findingId: string | null;
  rule: string | null;
  /** The snapshot as last seen, so it can be recreated from its volume if someone needs it. */
  snapshot: SnapshotFields | null;
  /** The date in the snapshot's `snapshot-sentinel:delete-after` key. */
  deleteAfter: string | null;
  /** Who approved (an IAM ARN), when an approval applies. */
  approvedBy: string | null;
  /** Who the snapshot's owner is (owner metadata key), when known. */
  owner: string | null;
  reason: string;
  refusal?: CleanupRefusal;
  /** For FAILED: the upstream's status and request id, when it answered. */
  upstreamStatus?: number;
  upstreamRequestId?: string;
  /** For BRAKE: what the run would have deleted, out of how many snapshots, and the caps it hit. */
  brake?: { planned: number; snapshots: number; deletedToday: number; limits: string[] };
}

export type EventDetail = FindingDetail | SummaryDetail | ScanFailedDetail | CleanupDetail;

/**
 * One event before it is sent: the detail stays an object until the publisher serialises it,
 * once, for the wire (or the dry-run printer writes it as it is).
 */
export type OutboundEvent =
  | { source: string; detailType: typeof DETAIL_TYPES.finding; detail: FindingDetail; resources: string[]; time: Date }
  | { source: string; detailType: typeof DETAIL_TYPES.summary; detail: SummaryDetail; resources: string[]; time: Date }
  | {
      source: string;
      detailType: typeof DETAIL_TYPES.failed;
      detail: ScanFailedDetail;
      resources: string[];
      time: Date;
    }
  | { source: string; detailType: typeof DETAIL_TYPES.cleanup; detail: CleanupDetail; resources: string[]; time: Date };

/** The id a subscriber or a failure record uses for an event: the findingId, else scan and project. */
export function eventKey(event: OutboundEvent): string {
  if (event.detailType === DETAIL_TYPES.cleanup) return event.detail.auditId;
  return event.detailType === DETAIL_TYPES.finding
    ? event.detail.findingId
    : `${event.detail.scanId}/${event.detail.projectId}`;
}

const hash32 = (...parts: Array<string | number>) =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

/** A stable id: a hash of project and snapshot, nothing time-dependent. */
export function findingIdOf(projectId: string, snapshotId: string): string {
  return hash32(projectId, snapshotId);
}

/** A volume's finding id: a hash of project and volume, apart from every snapshot's. */
export function findingIdOfVolume(projectId: string, volumeId: string): string {
  return hash32(projectId, 'volume', volumeId);
}

/**
 * The id of one transition, built only from what stays the same if it is sent again: the finding,
 * the transition, and the state it leaves (when the episode began, what it changed from, when it
 * was last notified).
 */
export function transitionIdOf(findingId: string, transition: Transition, basis: string | number): string {
  return hash32(findingId, transition, basis);
}

/** The resource name events carry for a snapshot. */
export function snapshotResource(region: string, projectId: string, snapshotId: string): string {
  return `evs:${region}:${projectId}:snapshot/${snapshotId}`;
}

/** The resource name events carry for a volume. */
export function volumeResource(region: string, projectId: string, volumeId: string): string {
  return `evs:${region}:${projectId}:volume/${volumeId}`;
}

/** The Cleanup event of one audit record. */
export function cleanupEvent(source: string, detail: Omit<CleanupDetail, 'schemaVersion'>): OutboundEvent {
  const full: CleanupDetail = { schemaVersion: SCHEMA_VERSION, ...detail };
  return {
    source,
    detailType: DETAIL_TYPES.cleanup,
    detail: full,
    resources: detail.snapshot ? [snapshotResource(detail.region, detail.projectId, detail.snapshot.id)] : [],
    time: new Date(detail.at),
  };
}

/** A snapshot's fields as events carry them. */
export function snapshotFields(s: Snapshot): SnapshotFields {
  return { ...snapshotCoreOf(s), description: s.description ?? null, metadata: s.metadata ?? {} };
}

export interface ScanContext {
  source: string;
  region: string;
  /** The target's name (targets file), `default` for the single-endpoint configuration. */
  target: string;
  scanId: string;
  projectId: string;
}

/** The Finding event for one classified snapshot, as the transition it is. */
export function findingEvent(
  ctx: ScanContext,
  snapshot: Snapshot,
  c: Classification,
  observedAt: Date,
  t: TransitionInfo,
  findingId: string = findingIdOf(ctx.projectId, snapshot.id),
): OutboundEvent {
  const detail: FindingDetail = {
    ...findingBase(ctx, c, observedAt, t, findingId),
    snapshot: snapshotFields(snapshot),
    ...(c.retention ? { retention: c.retention } : {}),
  };
  return findingOf(ctx, detail, snapshotResource(ctx.region, ctx.projectId, snapshot.id), observedAt);
}

/** The Finding event about one volume (UNPROTECTED_VOLUME), as the transition it is. */
export function volumeFindingEvent(
  ctx: ScanContext,
  volume: VolumeFields,
  c: Classification,
  observedAt: Date,
  t: TransitionInfo,
  findingId: string = findingIdOfVolume(ctx.projectId, volume.id),
): OutboundEvent {
  const detail: FindingDetail = {
    ...findingBase(ctx, c, observedAt, t, findingId),
    volume: {
      id: volume.id,
      name: volume.name,
      status: volume.status,
      size: volume.size,
      created_at: volume.created_at,
    },
  };
  return findingOf(ctx, detail, volumeResource(ctx.region, ctx.projectId, volume.id), observedAt);
}

function findingOf(ctx: ScanContext, detail: FindingDetail, resource: string, observedAt: Date): OutboundEvent {
  return { source: ctx.source, detailType: DETAIL_TYPES.finding, detail, resources: [resource], time: observedAt };
}

function findingBase(
  ctx: ScanContext,
  c: Classification,
  observedAt: Date,
  t: TransitionInfo,
  findingId: string,
): FindingDetail {
  return {
    schemaVersion: SCHEMA_VERSION,
    findingId,
    transition: t.transition,
    transitionId: t.transitionId,
    firstSeenAt: t.firstSeenAt,
    lastSeenAt: t.lastSeenAt,
    ...(t.openForMinutes !== undefined ? { openForMinutes: t.openForMinutes } : {}),
    ...(t.previous ? { previous: t.previous } : {}),
    findingType: c.type,
    severity: c.severity,
    rule: c.rule,
    reason: c.reason,
    projectId: ctx.projectId,
    region: ctx.region,
    target: ctx.target,
    scanId: ctx.scanId,
    observedAt: observedAt.toISOString(),
    thresholdMinutes: c.thresholdMinutes,
    ageMinutes: c.ageMinutes,
    measuredFrom: c.measuredFrom,
  };
}

export function summaryEvent(
  ctx: ScanContext,
  detail: Omit<SummaryDetail, 'schemaVersion' | 'scanId' | 'projectId' | 'region' | 'target'>,
): OutboundEvent {
  const full: SummaryDetail = {
    schemaVersion: SCHEMA_VERSION,
    scanId: ctx.scanId,
    projectId: ctx.projectId,
    region: ctx.region,
    target: ctx.target,
    ...detail,
  };
  return {
    source: ctx.source,
    detailType: DETAIL_TYPES.summary,
    detail: full,
    resources: [],
    time: new Date(detail.finishedAt),
  };
}

/**
 * The id of a failure notice: the same whenever the same notice is sent again (the same run or
 * cycle, target, project and code), so a subscriber can de-duplicate Scan Failed and NOT_SCANNED.
 */
export function failureIdOf(ctx: Pick<ScanContext, 'scanId' | 'target' | 'projectId'>, failureCode: string): string {
  return hash32('failed', ctx.scanId, ctx.target, ctx.projectId, failureCode);
}

export function scanFailedEvent(
  ctx: ScanContext,
  detail: Omit<ScanFailedDetail, 'schemaVersion' | 'scanId' | 'projectId' | 'region' | 'target' | 'failureId'>,
): OutboundEvent {
  const full: ScanFailedDetail = {
    schemaVersion: SCHEMA_VERSION,
    scanId: ctx.scanId,
    projectId: ctx.projectId,
    region: ctx.region,
    target: ctx.target,
    failureId: failureIdOf(ctx, detail.failureCode),
    ...detail,
  };
  return {
    source: ctx.source,
    detailType: DETAIL_TYPES.failed,
    detail: full,
    resources: [],
    time: new Date(detail.observedAt),
  };
}

/** Shrinks a Finding predictably when it is too large: drops metadata, then description, then caps the name. */
export function shrinkFinding(event: OutboundEvent): OutboundEvent | undefined {
  if (event.detailType !== DETAIL_TYPES.finding) return undefined;
  const volume = event.detail.volume;
  if (volume)
    return {
      ...event,
      detail: {
        ...event.detail,
        volume: { ...volume, name: volume.name && volume.name.length > 255 ? volume.name.slice(0, 255) : volume.name },
        truncated: true,
      },
    };
  if (!event.detail.snapshot) return undefined;
  const { metadata: _m, description: _d, ...rest } = event.detail.snapshot;
  const snapshot: SnapshotFields = {
    ...rest,
    name: rest.name && rest.name.length > 255 ? rest.name.slice(0, 255) : rest.name,
  };
  return { ...event, detail: { ...event.detail, snapshot, truncated: true } };
}
