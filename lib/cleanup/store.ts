import type { CleanupDetail } from '../events/contract';
import type { CleanupFields } from './decide';

/**
 * Audit items share the findings table, under sort keys `~cleanup#<time>#<auditId>`: `~` sorts
 * after every finding id (hex) and the scanner's `#lease`/`#scan` items, so no scan or findings
 * API query reads them, and a project's trail reads in time order.
 */
export const AUDIT_PREFIX = '~cleanup#';

/** One audit item: the event's detail, kept for good (no TTL); `findingId` is the sort key, the finding is `detail.findingId`. */
export interface AuditItem {
  projectId: string;
  findingId: string;
  kind: 'cleanup-audit';
  action: CleanupDetail['action'];
  detail: CleanupDetail;
}

/** What the cleanup keeps in the findings table: marks, approvals and its audit trail. */
export interface CleanupStore {
  /** The project's findings of these rules that cleanup may still act on (open or suppressed, not stopped, not removed). */
  candidates(projectId: string, rules: ReadonlySet<string>, deadline: number): Promise<CleanupFields[]>;
  /** Records the mark written into the snapshot; false when the finding is gone or already marked. */
  recordMark(projectId: string, findingId: string, deleteAfter: string, at: string, deadline: number): Promise<boolean>;
  /** Someone removed the mark from the snapshot: cleanup leaves this finding alone from now on. */
  recordStopped(projectId: string, findingId: string, at: string, deadline: number): Promise<void>;
  recordRemoved(projectId: string, findingId: string, at: string, deadline: number): Promise<void>;
  /** Approves a marked, open finding's deletion; false when it is not one. */
  approve(projectId: string, findingId: string, by: string, at: string, deadline: number): Promise<boolean>;
  /** Withdraws an approval; false when there was none. */
  withdraw(projectId: string, findingId: string, deadline: number): Promise<boolean>;
  /** The finding's cleanup fields, or undefined. */
  read(
    projectId: string,
    findingId: string,
    deadline: number,
  ): Promise<(CleanupFields & { snapshot?: CleanupDetail['snapshot'] }) | undefined>;
  /** Writes one audit item (the same auditId twice is one item). */
  audit(detail: CleanupDetail, deadline: number): Promise<void>;
  /** The project's audit items from `sinceIso` on, oldest first. */
  trail(projectId: string, sinceIso: string, deadline: number): Promise<AuditItem[]>;
}
