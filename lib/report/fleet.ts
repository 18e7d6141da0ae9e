import type { ProjectResult } from '../scan/run-scan';
import { AGE_BUCKETS, type CountGb, type ProjectStats, type SnapshotBrief, TOP_N, UNKNOWN_AGE } from './stats';

/** Bumped on a breaking change of the report's JSON, like the event contract. */
export const REPORT_VERSION = '1.0';

/** One project's part of the fleet report: what its last complete scan added up to. */
export interface ProjectReport {
  reportVersion: typeof REPORT_VERSION;
  target: string;
  region: string;
  projectId: string;
  scanId: string;
  /** When the scan's listing ended. */
  scannedAt: string;
  stats: ProjectStats;
}

/** A snapshot among the fleet's oldest or largest, with where it lives. */
export interface FleetSnapshotBrief extends SnapshotBrief {
  target: string;
  projectId: string;
}

/** The fleet's sums: a project's stats over every project, its snapshots named with their project. */
export interface FleetTotals extends Omit<ProjectStats, 'oldest' | 'largest'> {
  projects: number;
  oldest: FleetSnapshotBrief[];
  largest: FleetSnapshotBrief[];
}

/** The fleet report: every project's last complete scan, and the fleet's totals. */
export interface FleetReport {
  reportVersion: typeof REPORT_VERSION;
  generatedAt: string;
  /** Projects in target, then project id order. */
  projects: ProjectReport[];
  totals: FleetTotals;
}

/** The report part of a project the scan read completely; undefined for one it did not (its last complete part stands). */
export function projectReportOf(result: ProjectResult, scanId: string): ProjectReport | undefined {
  if (!result.complete) return undefined;
  return { reportVersion: REPORT_VERSION, target: result.target, region: result.region, projectId: result.projectId, scanId, scannedAt: result.scannedAt, stats: result.stats };
}

const add = (into: Record<string, CountGb>, from: Record<string, CountGb>) => {
  for (const [key, value] of Object.entries(from)) {
    const entry = into[key] ?? (into[key] = { count: 0, gb: 0 });
    entry.count += value.count;
    entry.gb += value.gb;
  }
};

/** Adds the parts up: totals by status, age and finding type, and the fleet's oldest and largest snapshots. */
export function assembleFleetReport(parts: readonly ProjectReport[], generatedAt: Date): FleetReport {
  const projects = [...parts].sort((a, b) => (a.target !== b.target ? (a.target < b.target ? -1 : 1) : a.projectId < b.projectId ? -1 : a.projectId > b.projectId ? 1 : 0));
  const byStatus = Object.create(null) as Record<string, CountGb>;
  const byFindingType = Object.create(null) as Record<string, CountGb>;
  const byAge = [...AGE_BUCKETS.map((b) => b.label as string), UNKNOWN_AGE].map((bucket) => ({ bucket, count: 0, gb: 0 }));
  let snapshots = 0;
  let gb = 0;
  const oldest: FleetSnapshotBrief[] = [];
  const largest: FleetSnapshotBrief[] = [];
  for (const p of projects) {
    snapshots += p.stats.snapshots;
    gb += p.stats.gb;
    add(byStatus, p.stats.byStatus);
    add(byFindingType, p.stats.byFindingType);
    for (const row of p.stats.byAge) {
      const total = byAge.find((b) => b.bucket === row.bucket);
      if (total) {
        total.count += row.count;
        total.gb += row.gb;
      }
    }
    for (const s of p.stats.oldest) oldest.push({ ...s, target: p.target, projectId: p.projectId });
    for (const s of p.stats.largest) largest.push({ ...s, target: p.target, projectId: p.projectId });
  }
  oldest.sort((a, b) => (b.ageDays ?? 0) - (a.ageDays ?? 0) || (a.createdAt < b.createdAt ? -1 : 1));
  largest.sort((a, b) => b.sizeGb - a.sizeGb || (a.id < b.id ? -1 : 1));
  return {
    reportVersion: REPORT_VERSION,
    generatedAt: generatedAt.toISOString(),
    projects,
    totals: { projects: projects.length, snapshots, gb, byStatus, byAge, byFindingType, oldest: oldest.slice(0, TOP_N), largest: largest.slice(0, TOP_N) },
  };
}

/** Checks a part read back from storage; anything else is skipped by the caller and reported. */
export function isProjectReport(value: unknown): value is ProjectReport {
  const v = value as Partial<ProjectReport> | null;
  return !!v && typeof v === 'object' && v.reportVersion === REPORT_VERSION && typeof v.target === 'string' && typeof v.projectId === 'string' && !!v.stats && typeof v.stats.snapshots === 'number' && Array.isArray(v.stats.byAge);
}
