import type { Failure } from '../domain/failure';
import type { CountMap, OutboundEvent } from '../events/contract';
import type { PublishStats } from '../events/publisher';
import type { Policy } from '../policy/policy';
import type { PriceList } from '../pricing/prices';
import type { LifecycleSettings } from '../state/lifecycle';
import type { FindingsStore } from '../state/store';
import type { SnapshotLister, VolumeLister } from '../upstream/client';
import type { RuleTally } from './rule-tally';
import type { ProjectStats } from './stats';
import type { TransitionCounts } from './tracker';

/** Where events go: the EventBridge publisher, or the dry-run printer. */
export interface EventSink {
  add(event: OutboundEvent, onDelivered?: () => void): Promise<void>;
  flush(): Promise<void>;
  readonly stats: PublishStats;
}

/** One unit of work: a project of a target, with the client that reads that target. */
export interface ScanUnit {
  target: string;
  region: string;
  projectId: string;
  lister: SnapshotLister & VolumeLister;
  /** The owner the targets file gives the project, if any (a snapshot's metadata wins). */
  projectOwner?: string;
}

/** How many projects of each target may be scanned at once (targets not named: no cap of their own). */
export type TargetCaps = Readonly<Record<string, number>>;

export interface ScanDeps {
  /** A link to the latest fleet report that opens without credentials, for summaries (2.3); undefined: none. */
  reportLink?: () => Promise<string | undefined>;
  /** One sink per project, so each project's delivery is accounted for separately. */
  createSink: (deadline: number) => EventSink;
  now?: () => number;
  onProgress?: (progress: { projectId: string; snapshotsRead: number; pagesRead: number }) => void;
  /** Told of errors that are bugs rather than upstream failures (reported as INTERNAL_ERROR). */
  onBug?: (error: unknown, projectId: string) => void;
  /** The findings table; without it the scan is stateless and reports every finding as OBSERVED. */
  state?: StateDeps;
}

export interface ScanSettings {
  scanId: string;
  units: readonly ScanUnit[];
  policy: Policy;
  source: string;
  /** Projects scanned at the same time, over all targets. */
  concurrency: number;
  /** And per target, so one region's API is not flooded. */
  targetCaps?: TargetCaps;
  pageSize: number;
  maxPages: number;
  /** Epoch ms by which everything, publishing included, must be done. */
  deadline: number;
  /** Time kept back from listing to publish what was found and report what was not finished. */
  reserveMs: number;
  /** The metadata key that names a snapshot's owner (default `owner`). */
  ownerMetadataKey?: string;
  /** Prices, when configured: summaries then carry money (2.3). */
  prices?: PriceList;
}

export interface ProjectResult {
  target: string;
  region: string;
  projectId: string;
  complete: boolean;
  /** Another scan held the project's lease. */
  skipped: boolean;
  transitions: TransitionCounts;
  snapshotsRead: number;
  pagesRead: number;
  countsByStatus: CountMap;
  countsByFindingType: CountMap;
  /** Findings by type, then severity (a rule sets the severity). */
  countsBySeverity: Record<string, CountMap>;
  /** What the listing added up to: sizes, ages, the oldest and largest (the fleet report's row). */
  stats: ProjectStats;
  /** Rows the upstream listed that could not be judged (an absurd size, a field of the wrong type). */
  malformedRows: number;
  /** Per policy rule: what it flagged and the system snapshots it was kept from (the dry run's table). */
  byRule: RuleTally;
  /** When the listing ended (ISO), for the report. */
  scannedAt: string;
  /** With a report store: whether this project's part was written (complete scans only). */
  reportWritten?: boolean;
  failure?: Failure;
  delivery: PublishStats;
}

export interface ScanResult {
  scanId: string;
  startedAt: string;
  finishedAt: string;
  projects: ProjectResult[];
  /** Every project complete and every event delivered. */
  ok: boolean;
}

/** What a stateful scan needs: the table, and how the lifecycle behaves. */
export interface StateDeps {
  /** The whole table: the scan uses its lease and findings; the fan-out, composed from the same parts, its scan records. */
  store: FindingsStore;
  lifecycle: LifecycleSettings;
  resolvedRetentionMs: number;
  /** Read the state, write none, take no lease. */
  dryRun: boolean;
  /** How long a project's lease lasts unless renewed (it is renewed every third of that). */
  leaseMs: number;
}
