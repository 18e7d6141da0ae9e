/**
 * The cleanup's decisions, pure: when a marked snapshot is due, whether a snapshot read just now
 * may be deleted, and whether a project's deletions stay within its caps. Nothing here reads a
 * clock, the environment or the network.
 */
import { isSystemSnapshot, type Snapshot } from '../domain/snapshot';
import { readTimes } from '../domain/times';
import { type CleanupRefusal, MARK_KEY } from '../events/contract';
import { type CleanupTerms, type JudgeContext, type ProjectPolicy, UNDETERMINED } from '../policy/policy';

export { MARK_KEY } from '../events/contract';

/** The only statuses EVS deletes a snapshot in. */
export const DELETABLE_STATUSES: ReadonlySet<string> = new Set(['available', 'error']);

/** What cleanup keeps on a finding item, next to the scanner's fields. */
export interface CleanupFields {
  projectId: string;
  findingId: string;
  snapshotId?: string;
  state: string;
  rule?: string;
  suppressedUntil?: string;
  /** The value written into the snapshot's MARK_KEY. */
  cleanupDeleteAfter?: string;
  cleanupMarkedAt?: string;
  cleanupApprovedBy?: string;
  cleanupApprovedAt?: string;
  /** Someone removed the key from the snapshot: cleanup leaves this finding alone. */
  cleanupStoppedAt?: string;
  cleanupRemovedAt?: string;
}

/** `2026-12-20T08:00:00Z`: the mark for a deletion allowed from `at` on (whole seconds, UTC). */
export function formatMark(at: number): string {
  return `${new Date(at).toISOString().slice(0, 19)}Z`;
}

export type Readiness = { due: true } | { due: false; waiting: 'GRACE' | 'APPROVAL'; reason: string };

/** Whether a marked finding's deletion is due: its grace period over, and approved when its rule asks for approval. */
export function readiness(item: CleanupFields, terms: CleanupTerms, now: number): Readiness {
  const after = Date.parse(item.cleanupDeleteAfter ?? '');
  if (!Number.isFinite(after) || now < after)
    return { due: false, waiting: 'GRACE', reason: `marked for deletion after ${item.cleanupDeleteAfter}` };
  if (terms.approval === 'required' && !item.cleanupApprovedBy)
    return {
      due: false,
      waiting: 'APPROVAL',
      reason: `due since ${item.cleanupDeleteAfter}, waiting for approval (rule ${terms.rule} requires it)`,
    };
  return { due: true };
}

export type Check = { ok: true } | { ok: false; refusal: CleanupRefusal; reason: string };

/**
 * Whether a snapshot, as just read from the upstream, may be deleted for this finding: it still
 * exists, the finding is open (not suppressed), the snapshot still carries the same mark, is
 * available or error, is not the cloud's own backup snapshot, and still meets the rule.
 */
export function checkDeletion(
  item: CleanupFields,
  snapshot: Snapshot | undefined,
  policy: ProjectPolicy,
  ctx: JudgeContext,
): Check {
  if (!snapshot) return { ok: false, refusal: 'GONE', reason: 'the snapshot no longer exists' };
  if (item.state === 'SUPPRESSED')
    return {
      ok: false,
      refusal: 'SUPPRESSED',
      reason: `the finding is suppressed until ${item.suppressedUntil ?? 'further notice'}`,
    };
  if (item.state !== 'OPEN') return { ok: false, refusal: 'NOT_OPEN', reason: `the finding is ${item.state}` };
  const mark =
    snapshot.metadata && Object.hasOwn(snapshot.metadata, MARK_KEY) ? snapshot.metadata[MARK_KEY] : undefined;
  if (mark === undefined)
    return {
      ok: false,
      refusal: 'MARK_CHANGED',
      reason: `the snapshot no longer carries ${MARK_KEY} (someone removed it)`,
    };
  if (mark !== item.cleanupDeleteAfter)
    return {
      ok: false,
      refusal: 'MARK_CHANGED',
      reason: `the snapshot's ${MARK_KEY} is no longer the one cleanup set`,
    };
  if (!DELETABLE_STATUSES.has(snapshot.status))
    return {
      ok: false,
      refusal: 'STATUS',
      reason: `the snapshot is ${snapshot.status}; only available or error snapshots are deleted`,
    };
  if (isSystemSnapshot(snapshot))
    return { ok: false, refusal: 'SYSTEM_SNAPSHOT', reason: 'the snapshot is one the cloud made for its backups' };
  const still = policy.stillMatches(item.rule ?? '', snapshot, readTimes(snapshot), ctx);
  if (still === UNDETERMINED)
    return {
      ok: false,
      refusal: 'UNDETERMINED',
      reason: `whether rule ${item.rule} still matches cannot be told (the project's volumes could not be listed)`,
    };
  if (!still)
    return { ok: false, refusal: 'NO_LONGER_MATCHES', reason: `the snapshot no longer meets rule ${item.rule}` };
  return { ok: true };
}

/** Per-project caps on deletions: per run and per UTC day, each as a count and as a share (percent) of the project's snapshots. */
export interface CleanupCaps {
  perRun: number;
  perRunPercent: number;
  perDay: number;
  perDayPercent: number;
}

export const DEFAULT_CAPS: CleanupCaps = { perRun: 50, perRunPercent: 10, perDay: 50, perDayPercent: 10 };

/** The caps a project's planned deletions would exceed; empty when they may all go ahead. */
export function exceededCaps(planned: number, snapshots: number, deletedToday: number, caps: CleanupCaps): string[] {
  const exceeded: string[] = [];
  const share = (n: number) => (snapshots > 0 ? (n * 100) / snapshots : 100);
  if (planned > caps.perRun) exceeded.push(`${planned} deletions in one run, over the cap of ${caps.perRun}`);
  if (share(planned) > caps.perRunPercent)
    exceeded.push(`${planned} of ${snapshots} snapshots in one run, over ${caps.perRunPercent} %`);
  if (deletedToday + planned > caps.perDay)
    exceeded.push(`${deletedToday + planned} deletions today, over the cap of ${caps.perDay}`);
  if (share(deletedToday + planned) > caps.perDayPercent)
    exceeded.push(`${deletedToday + planned} of ${snapshots} snapshots today, over ${caps.perDayPercent} %`);
  return exceeded;
}

/** What a marked snapshot's owner is told: what goes, when, and how to stop it. */
export function markNotice(
  snapshot: Pick<Snapshot, 'id' | 'name' | 'size'>,
  projectId: string,
  findingId: string,
  rule: string,
  terms: CleanupTerms,
  deleteAfter: string,
): string {
  const approval =
    terms.approval === 'required'
      ? ' once someone approves it (POST /v2/{project_id}/findings/{finding_id}/approval)'
      : '';
  // The name is the cloud's text: capped here, and untrusted wherever the notice is shown.
  const name = typeof snapshot.name === 'string' && snapshot.name ? ` (${snapshot.name.slice(0, 255)})` : '';
  return `Snapshot ${snapshot.id}${name}, ${snapshot.size} GB, will be deleted after ${deleteAfter} under rule ${rule}${approval}. To keep it, suppress finding ${findingId} (POST /v2/${projectId}/findings/${findingId}/suppression) or remove the metadata key ${MARK_KEY} from the snapshot.`;
}
