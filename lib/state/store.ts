/**
 * What each part of the service needs of the findings table, declared apart from the DynamoDB
 * code behind it (lib/state/dynamo/): the scan's lease and findings, the findings API's reads and
 * suppressions, the fan-out's scan records. Callers depend on the narrowest of these they use;
 * one table implements them all (`createFindingsStore`). Every call takes the epoch-ms deadline
 * it must be done by, and fails with StateUnavailableError (lib/state/errors.ts) when it cannot be.
 */
import type { FindingIndex, FindingItem, FindingState, StoredSnapshot, StoredVolume } from './records';

/** A project's lease: one scan works on a project at a time. */
export interface LeaseStore {
  /** Takes the project's lease until `untilMs`; false when another live scan holds it. */
  acquireLease(projectId: string, owner: string, untilMs: number, deadline: number): Promise<boolean>;
  /** Extends the lease this scan holds; false when it is no longer this scan's. */
  renewLease(projectId: string, owner: string, untilMs: number, deadline: number): Promise<boolean>;
  /** Gives the lease back, only if this scan still holds it. */
  releaseLease(projectId: string, owner: string, deadline: number): Promise<void>;
}

/** A change to an existing item after its transition was announced. */
export type ItemUpdate =
  | {
      kind: 'renotified';
      projectId: string;
      findingId: string;
      findingType: string;
      severity: string;
      rule: string;
      reason: string;
      snapshot?: StoredSnapshot;
      volume?: StoredVolume;
      at: string;
      liftSuppression: boolean;
    }
  | { kind: 'resolved'; projectId: string; findingId: string; at: string; expiresAt: number };

/** What a scan reads and writes of a project's findings to announce each transition once. */
export interface ScanFindingStore {
  /** Checks that the table can hold findings at all (TableMisconfiguredError when it cannot, every run). */
  verifyTable(deadline: number): Promise<void>;
  /** Every finding of a project, as the compact index a scan decides with. */
  loadIndex(projectId: string, deadline: number): Promise<FindingIndex>;
  /** The full items of some findings of a project (those a scan resolves). */
  readItems(projectId: string, wanted: ReadonlySet<string>, deadline: number): Promise<FindingItem[]>;
  /** Writes whole items; an item the table refuses as invalid is reported, not retried forever. */
  putItems(items: FindingItem[], deadline: number): Promise<void>;
  /** Records an announced transition on an existing item; false when the item changed under it (e.g. suppressed meanwhile). */
  updateItem(update: ItemUpdate, deadline: number): Promise<boolean>;
  /**
   * The stamp this run's OPENED transitions of findings without an item are named by: the
   * unsettled one a previous run left, else `fresh`, stored before it is returned (unless `dryRun`).
   */
  beginOpenings(projectId: string, fresh: string, deadline: number, dryRun?: boolean): Promise<string>;
  /** Marks the opening stamp settled: every OPENED announced under it is recorded. */
  settleOpenings(projectId: string, stamp: string, deadline: number): Promise<void>;
}

/** The filters the findings API lists by. */
export interface ListFilters {
  state?: FindingState;
  severity?: string;
  finding_type?: string;
  snapshot_id?: string;
}

/** What a suppression records. */
export interface Suppression {
  until: string;
  reason: string;
  by: string;
  at: string;
}

/** What the findings API reads and changes. */
export interface FindingQueryStore {
  /** One page of a project's findings, filtered, in findingId order; `more` when another page follows `marker`. */
  listFindings(
    projectId: string,
    filters: ListFilters,
    limit: number,
    marker: string | undefined,
    deadline: number,
  ): Promise<{ items: FindingItem[]; more: boolean }>;
  getFinding(projectId: string, findingId: string, deadline: number): Promise<FindingItem | undefined>;
  /** Suppresses an open finding until a time; false when it is not open or suppressed (e.g. resolved or unknown). */
  suppress(projectId: string, findingId: string, suppression: Suppression, deadline: number): Promise<boolean>;
  /** Lifts a suppression; false when the finding is not suppressed. */
  unsuppress(projectId: string, findingId: string, deadline: number): Promise<boolean>;
}

/** When a project was first dispatched, last scanned completely, and last reported overdue. */
export interface ScanRecord {
  projectId: string;
  target?: string;
  region?: string;
  firstDispatchedAt?: number;
  /** The last cycle whose work item ran to its end (its events sent), complete or not. */
  lastScannedCycle?: string;
  lastCompletedCycle?: string;
  lastCompleteAt?: number;
  overdueNotifiedAt?: number;
  /** See `ScanFindingStore.beginOpenings`. */
  openingStamp?: string;
  openingSettled?: boolean;
}

/** What the fan-out knows of each project across cycles. */
export interface ScanRecordStore {
  /** The scan records of these projects (a project never dispatched has none). */
  getScanRecords(projectIds: readonly string[], deadline: number): Promise<Map<string, ScanRecord>>;
  /** Notes that a project was dispatched, once: the first cycle it was part of. */
  noteDispatched(
    projectId: string,
    at: number,
    where: { target: string; region: string },
    deadline: number,
  ): Promise<void>;
  /**
   * Records that the project's work item of this cycle ran to its end, its events sent; when
   * the scan was complete, also that (an overdue notice then no longer applies).
   */
  recordScanned(projectId: string, cycleId: string, complete: boolean, at: number, deadline: number): Promise<void>;
  /** Records that the project's overdue Scan Failed went out. */
  noteOverdueNotified(projectId: string, at: number, deadline: number): Promise<void>;
}

/** What a stateful scan needs of the table: the project's lease and its findings. */
export type ScanStateStore = LeaseStore & ScanFindingStore;

/** Calls and items counted by a store, for benchmarks and tests. */
export interface StoreStats {
  readCalls: number;
  writeCalls: number;
  /** Of writeCalls, the BatchWriteItem calls. */
  batchWriteCalls: number;
  itemsWritten: number;
}

/** The whole findings table: every view above, and its call counts. */
export interface FindingsStore extends LeaseStore, ScanFindingStore, FindingQueryStore, ScanRecordStore {
  readonly stats: StoreStats;
}
