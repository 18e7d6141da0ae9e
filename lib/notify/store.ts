/**
 * What the notifier keeps between invocations, as an interface: the DynamoDB table
 * (dynamo-store.ts) in production and tests; the dry run keeps nothing.
 */
import type { Severity } from '../domain/finding';
import type { CleanupNotice, NoticeFinding, ScanHealthNotice } from './model';

/** One transition, health change or cleanup notice recorded for one route, until its digest is made. */
export type StoredNotice =
  | { type: 'finding'; notice: NoticeFinding }
  | { type: 'health'; notice: ScanHealthNotice }
  | { type: 'cleanup'; notice: CleanupNotice };

export interface DueRecord {
  route: string;
  key: string;
  item: StoredNotice;
  /** When its window closes (immediate routes: when it was recorded). */
  dueAt: number;
  /** The digest it was claimed for, if a flush claimed it before stopping. */
  claim?: string;
}

export interface DigestRecord {
  id: string;
  route: string;
  mode: 'immediate' | 'digest';
  from: string;
  to: string;
}

export type DeliveryStatus = 'pending' | 'sent' | 'dead';

/** One digest to one destination: tracked on its own, so one broken destination never holds up another. */
export interface DeliveryRecord {
  digestId: string;
  route: string;
  destination: string;
  status: DeliveryStatus;
  attempts: number;
  /** When it was first due: the age bound counts from here. */
  createdAt: number;
  nextAttemptAt: number;
  lastError?: string;
}

export interface ProjectHealth {
  failingSince: string;
  failureCode?: string;
}

export interface NotificationStore {
  /** Records a notice for a route once; false when that key was recorded before (a retried event). */
  record(route: string, key: string, item: StoredNotice, dueAt: number, expiresAt: number): Promise<boolean>;
  /** The routes that carried a finding's earlier notices (where its RESOLVED goes). */
  carriedBy(findingId: string): Promise<string[]>;
  carry(findingId: string, routes: readonly string[], expiresAt: number): Promise<void>;
  /**
   * Counts a finding open on the routes that carried it, at its latest severity (set again on
   * every notice: idempotent); a notice observed before the last one recorded changes nothing.
   */
  markOpen(findingId: string, routes: readonly string[], severity: Severity, observedAt: string): Promise<void>;
  /** Counts it no longer open on every route that counted it (same ordering rule). */
  markResolved(findingId: string, observedAt: string, expiresAt: number): Promise<void>;
  /** The findings a route carried that are open now, by severity. */
  openTotals(route: string): Promise<Record<Severity, number>>;
  healthOf(project: string): Promise<ProjectHealth | undefined>;
  /** Marks a project failing; false when another invocation marked it first. */
  markFailing(project: string, health: ProjectHealth): Promise<boolean>;
  /** Marks a project healthy; false when it was not failing since `since`. */
  markRecovered(project: string, since: string): Promise<boolean>;
  /** The route's records whose window has closed by `now`, not yet in a digest. */
  dueRecords(route: string, now: number): Promise<DueRecord[]>;
  /** Claims records for a digest; answers the keys it claimed (a record another flush claimed is left to it). */
  claim(route: string, keys: readonly string[], digestId: string): Promise<string[]>;
  /** Saves a digest and one pending delivery per destination (idempotent on the digest id), then lets its records leave the due list. */
  saveDigest(
    digest: DigestRecord,
    destinations: readonly string[],
    keys: readonly string[],
    now: number,
    expiresAt: number,
  ): Promise<void>;
  digest(digestId: string): Promise<{ record: DigestRecord; items: StoredNotice[] } | undefined>;
  dueDeliveries(now: number): Promise<DeliveryRecord[]>;
  /** Takes a delivery for one attempt until `until`; false when another invocation holds it. */
  lease(delivery: DeliveryRecord, now: number, until: number): Promise<boolean>;
  /** Writes an attempt's outcome and ends the lease. */
  settle(delivery: DeliveryRecord): Promise<void>;
}
