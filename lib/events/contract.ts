/**
 * The scanner's outbound contract, in one place for subscribers: source, detail-types, schema
 * version and the shape of each `detail`. JSON Schemas for each live in `events/schemas/`.
 * Additive changes keep SCHEMA_VERSION's major number; anything else bumps it.
 */
import { createHash } from 'node:crypto';
import type { FailureCode } from '../domain/failure';
import type { Classification, FindingType, Severity } from '../domain/finding';
import type { Snapshot } from '../domain/snapshot';

export const SCHEMA_VERSION = '1.0';
export const DEFAULT_SOURCE = 'evs.snapshot-scanner';

export const DETAIL_TYPES = {
  finding: 'EVS Snapshot Finding',
  summary: 'EVS Snapshot Scan Summary',
  failed: 'EVS Snapshot Scan Failed',
} as const;
export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/** The snapshot's own fields, as the list API gave them. */
export interface SnapshotFields {
  id: string;
  name: string | null;
  status: string;
  volume_id: string;
  size: number;
  created_at: string;
  updated_at: string | null;
  description?: string | null;
  metadata?: Record<string, string>;
}

export interface FindingDetail {
  schemaVersion: typeof SCHEMA_VERSION;
  /** Same snapshot + same finding type → same id on every run; use it to de-duplicate alerts. */
  findingId: string;
  findingType: FindingType;
  severity: Severity;
  reason: string;
  projectId: string;
  region: string;
  scanId: string;
  observedAt: string;
  thresholdMinutes: number | null;
  ageMinutes: number | null;
  measuredFrom: 'created_at' | 'updated_at';
  snapshot: SnapshotFields;
  /** Set when the entry was too large for EventBridge and optional fields were dropped. */
  truncated?: boolean;
}

export type CountMap = Record<string, number>;

export interface SummaryDetail {
  schemaVersion: typeof SCHEMA_VERSION;
  scanId: string;
  projectId: string;
  region: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** True only when every page of the project was read. */
  complete: boolean;
  snapshotsRead: number;
  pagesRead: number;
  countsByStatus: CountMap;
  countsByFindingType: CountMap;
  /** Snapshots whose timestamps could not be read, so no age rule applied to them. */
  unreadableTimestamps: number;
  /** Present when `complete` is false. */
  failureCode?: ScanFailureCode;
}

export type ScanFailureCode = FailureCode;

export interface ScanFailedDetail {
  schemaVersion: typeof SCHEMA_VERSION;
  scanId: string;
  projectId: string;
  region: string;
  observedAt: string;
  failureCode: ScanFailureCode;
  message: string;
  upstreamStatus?: number;
  upstreamRequestId?: string;
  /** How far the scan got before it stopped. */
  snapshotsRead: number;
  pagesRead: number;
}

export type EventDetail = FindingDetail | SummaryDetail | ScanFailedDetail;

/**
 * One event before it is sent: the detail stays an object until the publisher serialises it,
 * once, for the wire (or the dry-run printer writes it as it is).
 */
export type OutboundEvent =
  | { source: string; detailType: typeof DETAIL_TYPES.finding; detail: FindingDetail; resources: string[]; time: Date }
  | { source: string; detailType: typeof DETAIL_TYPES.summary; detail: SummaryDetail; resources: string[]; time: Date }
  | { source: string; detailType: typeof DETAIL_TYPES.failed; detail: ScanFailedDetail; resources: string[]; time: Date };

/** The id a subscriber or a failure record uses for an event: the findingId, else scan and project. */
export function eventKey(event: OutboundEvent): string {
  return event.detailType === DETAIL_TYPES.finding ? event.detail.findingId : `${event.detail.scanId}/${event.detail.projectId}`;
}

/** A stable id: a hash of project, snapshot and finding type, nothing time-dependent. */
export function findingIdOf(projectId: string, snapshotId: string, type: FindingType): string {
  return createHash('sha256').update(`${projectId}\u0000${snapshotId}\u0000${type}`).digest('hex').slice(0, 32);
}

/** The resource name events carry for a snapshot. */
export function snapshotResource(region: string, projectId: string, snapshotId: string): string {
  return `evs:${region}:${projectId}:snapshot/${snapshotId}`;
}

function snapshotFields(s: Snapshot): SnapshotFields {
  return {
    id: s.id,
    name: s.name ?? null,
    status: s.status,
    volume_id: s.volume_id,
    size: s.size,
    created_at: s.created_at,
    updated_at: s.updated_at ?? null,
    description: s.description ?? null,
    metadata: s.metadata ?? {},
  };
}

export interface ScanContext {
  source: string;
  region: string;
  scanId: string;
  projectId: string;
}

/** The Finding event for one classified snapshot. */
export function findingEvent(ctx: ScanContext, snapshot: Snapshot, c: Classification, observedAt: Date): OutboundEvent {
  const detail: FindingDetail = {
    schemaVersion: SCHEMA_VERSION,
    findingId: findingIdOf(ctx.projectId, snapshot.id, c.type),
    findingType: c.type,
    severity: c.severity,
    reason: c.reason,
    projectId: ctx.projectId,
    region: ctx.region,
    scanId: ctx.scanId,
    observedAt: observedAt.toISOString(),
    thresholdMinutes: c.thresholdMinutes,
    ageMinutes: c.ageMinutes,
    measuredFrom: c.measuredFrom,
    snapshot: snapshotFields(snapshot),
  };
  return {
    source: ctx.source,
    detailType: DETAIL_TYPES.finding,
    detail,
    resources: [snapshotResource(ctx.region, ctx.projectId, snapshot.id)],
    time: observedAt,
  };
}

export function summaryEvent(ctx: ScanContext, detail: Omit<SummaryDetail, 'schemaVersion' | 'scanId' | 'projectId' | 'region'>): OutboundEvent {
  const full: SummaryDetail = { schemaVersion: SCHEMA_VERSION, scanId: ctx.scanId, projectId: ctx.projectId, region: ctx.region, ...detail };
  return { source: ctx.source, detailType: DETAIL_TYPES.summary, detail: full, resources: [], time: new Date(detail.finishedAt) };
}

export function scanFailedEvent(ctx: ScanContext, detail: Omit<ScanFailedDetail, 'schemaVersion' | 'scanId' | 'projectId' | 'region'>): OutboundEvent {
  const full: ScanFailedDetail = { schemaVersion: SCHEMA_VERSION, scanId: ctx.scanId, projectId: ctx.projectId, region: ctx.region, ...detail };
  return { source: ctx.source, detailType: DETAIL_TYPES.failed, detail: full, resources: [], time: new Date(detail.observedAt) };
}

/** Shrinks a Finding predictably when it is too large: drops metadata, then description, then caps the name. */
export function shrinkFinding(event: OutboundEvent): OutboundEvent | undefined {
  if (event.detailType !== DETAIL_TYPES.finding) return undefined;
  const { metadata: _m, description: _d, ...rest } = event.detail.snapshot;
  const snapshot: SnapshotFields = { ...rest, name: rest.name && rest.name.length > 255 ? rest.name.slice(0, 255) : rest.name };
  return { ...event, detail: { ...event.detail, snapshot, truncated: true } };
}
