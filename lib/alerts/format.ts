import { DETAIL_TYPES, type FindingDetail, type ScanFailedDetail, type SummaryDetail } from '../events/contract';

const counts = (m: Record<string, number>) =>
  Object.entries(m)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ') || 'none';

/** One readable line for an event from the scanner, or undefined for events it does not know. */
export function formatAlert(detailType: string, detail: unknown): string | undefined {
  switch (detailType) {
    case DETAIL_TYPES.finding: {
      const d = detail as FindingDetail;
      const s = d.snapshot;
      return `[${d.severity.toUpperCase()}] ${d.findingType} snapshot ${s.id} "${s.name ?? ''}" (volume ${s.volume_id}, ${s.size} GB, ${s.status}) in project ${d.projectId}/${d.region}: ${d.reason} [finding ${d.findingId}]`;
    }
    case DETAIL_TYPES.summary: {
      const d = detail as SummaryDetail;
      const state = d.complete ? 'COMPLETE' : `INCOMPLETE (${d.failureCode})`;
      return `[SCAN ${state}] project ${d.projectId}/${d.region}: ${d.snapshotsRead} snapshots in ${d.pagesRead} pages, ${d.durationMs} ms; findings: ${counts(d.countsByFindingType)} [scan ${d.scanId}]`;
    }
    case DETAIL_TYPES.failed: {
      const d = detail as ScanFailedDetail;
      return `[SCAN FAILED] project ${d.projectId}/${d.region}: ${d.failureCode}: ${d.message} (read ${d.snapshotsRead} snapshots before stopping) [scan ${d.scanId}]`;
    }
    default:
      return undefined;
  }
}
