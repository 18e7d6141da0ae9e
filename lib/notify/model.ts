/**
 * What the notifier hands a destination: one digest of finding transitions (and scan-health
 * notices) for one route and one window. The notifier decides what is in it; a renderer in
 * `lib/notify/render/` decides only how each destination shows it. Everything in `snapshot`,
 * `reason` and `owner` comes from the cloud and is untrusted text: renderers escape it.
 */
import type { Severity } from '../domain/finding';
import type { SnapshotFields } from '../domain/snapshot';

/** How a transition counts in a digest: OPENED is new, CHANGED to a higher severity escalated, to a lower one de-escalated. */
export type NoticeKind = 'new' | 'escalated' | 'deescalated' | 'reminded' | 'resolved';

/** One finding transition as people read it (from the Finding event's detail). */
export interface NoticeFinding {
  kind: NoticeKind;
  findingId: string;
  /** The event's transitionId: what a re-sent digest is de-duplicated on. */
  transitionId: string;
  /** A string, not the FindingType union: policies may add types. */
  findingType: string;
  severity: Severity;
  previous?: { findingType: string; severity: Severity };
  reason: string;
  projectId: string;
  region: string;
  target: string;
  observedAt: string;
  /** When the episode opened (null without a findings table). */
  firstSeenAt: string | null;
  ageMinutes: number | null;
  /** RESOLVED only: how long it was open. */
  openForMinutes?: number;
  /** Who owns the snapshot (a metadata key, else the project's owner); null when unknown. */
  owner: string | null;
  /** True for a finding about a volume (UNPROTECTED_VOLUME): `snapshot` then describes the volume. */
  volume?: true;
  /** The snapshot's fields as listed, but for `updated_at` (for a volume: the volume's id, name, status, size). */
  snapshot: Omit<SnapshotFields, 'updated_at'>;
}

/** A project whose scans started failing, or recovered; sent once per change, never per cycle. */
export interface ScanHealthNotice {
  kind: 'failing' | 'recovered';
  projectId: string;
  region: string;
  target: string;
  /** failing: the failure code of the scan that failed (e.g. UPSTREAM_UNAVAILABLE, NOT_SCANNED). */
  failureCode?: string;
  /** A safe, already-scrubbed sentence from the scanner. */
  message?: string;
  /** When the project started failing (recovered: how long it was down is observedAt - since). */
  since: string;
  observedAt: string;
}

/** The cleanup actions that notify: the rest (approvals, refusals a person caused) tell nobody anything new. */
export type CleanupNoticeAction = 'MARKED' | 'DELETED' | 'FAILED' | 'REFUSED' | 'BRAKE';

/**
 * One cleanup audit event as people read it (docs/cleanup.md): a snapshot marked for deletion
 * (when, and how to stop it), deleted, not deleted (failed or refused), or a project's brake.
 */
export interface CleanupNotice {
  action: CleanupNoticeAction;
  /** What a re-sent event is de-duplicated on (the audit id; per project and day for a brake, per finding and day for a failure or refusal). */
  key: string;
  auditId: string;
  severity: Severity;
  at: string;
  projectId: string;
  region: string;
  target: string;
  rule: string | null;
  findingId: string | null;
  /** Null for a brake (it is about a project). */
  snapshot: { id: string; name: string | null; status: string; size: number; metadata?: Record<string, string> } | null;
  /** When the snapshot may be deleted (the value of its delete-after key). */
  deleteAfter: string | null;
  owner: string | null;
  /** REFUSED: which safety check said no. */
  refusal?: string;
  /** The cleanup's own sentence (it may quote the snapshot's name: untrusted). */
  reason: string;
  /** MARKED: the two ways to keep the snapshot. */
  stop?: { suppress: string; metadataKey: string };
  /** BRAKE: what the run would have deleted and the caps it hit. */
  brake?: { planned: number; snapshots: number; deletedToday: number; limits: string[] };
}

export interface DigestCount {
  kind: NoticeKind;
  findingType: string;
  severity: Severity;
  count: number;
  /** Sum of the snapshots' `size`, GB. */
  gb: number;
}

/** One message's worth: what changed for one route in one window. */
export interface Digest {
  /** Stable for the same route, window and transitions: a re-sent digest has the same id. */
  id: string;
  route: string;
  mode: 'immediate' | 'digest';
  window: { from: string; to: string };
  /** Counts of the transitions in this digest, by kind, type and severity. */
  counts: DigestCount[];
  /** Findings open now for this route, by severity (null when the notifier could not tell). */
  openTotals: Record<Severity, number> | null;
  /** Every transition in the digest, high severity first, then oldest; human formats show the first 20 and "and N more". */
  findings: NoticeFinding[];
  health: ScanHealthNotice[];
  /** Cleanup marks, deletions, failures and brakes (docs/cleanup.md), brakes and failures first. */
  cleanup: CleanupNotice[];
  /** Monthly cost, when prices are configured (issue 24); absent otherwise. */
  money?: { currency: string; newPerMonth: number; openPerMonth: number | null };
  links: {
    /** The latest fleet report, openable in a browser. */
    report?: string;
    /** The findings API query that lists this route's open findings. */
    findings?: string;
  };
}

/** Where a route sends. The URL or ARN is resolved from a secret before rendering; it never appears in a payload or a log. */
export type DestinationKind = 'slack' | 'teams' | 'webhook' | 'sns' | 'alertmanager';

/** What a renderer produces: an HTTP JSON body, or an SNS subject and text. */
export type RenderedMessage = { kind: 'http-json'; body: unknown } | { kind: 'sns'; subject: string; message: string };
