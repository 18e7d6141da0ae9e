import { describeMinutes } from '../domain/finding';
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
      // A finding is about a snapshot, or (UNPROTECTED_VOLUME, 2.3) about a volume.
      const s = d.snapshot;
      const v = d.volume;
      const subject = s ? `snapshot ${s.id} "${s.name ?? ''}"` : `volume ${v?.id ?? '?'} "${v?.name ?? ''}"`;
      if (d.transition === 'RESOLVED') {
        return `RESOLVED ${d.findingType} ${subject} in project ${d.projectId}/${d.region} after ${describeMinutes(d.openForMinutes ?? 0)} open [finding ${d.findingId}]`;
      }
      const change = d.transition === 'CHANGED' && d.previous ? ` (was ${d.previous.findingType}, ${d.previous.severity})` : '';
      const facts = s ? `volume ${s.volume_id}, ${s.size} GB, ${s.status}` : `${v?.size ?? 0} GB, ${v?.status ?? ''}`;
      return `[${d.severity.toUpperCase()}] ${d.findingType} ${subject} (${facts}) in project ${d.projectId}/${d.region}: ${d.reason}${change} [${d.transition} finding ${d.findingId}]`;
    }
    case DETAIL_TYPES.summary: {
      const d = detail as SummaryDetail;
      const state = d.complete ? 'COMPLETE' : `INCOMPLETE (${d.failureCode})`;
      if (d.skipped) return `[SCAN SKIPPED] project ${d.projectId}/${d.region}: another scan was still running [scan ${d.scanId}]`;
      const lifecycle = d.stateful ? `; opened ${d.opened}, changed ${d.changed}, reminded ${d.reminded}, resolved ${d.resolved}, open ${d.open}, suppressed ${d.suppressed}` : '';
      return `[SCAN ${state}] project ${d.projectId}/${d.region}: ${d.snapshotsRead} snapshots in ${d.pagesRead} pages, ${d.durationMs} ms; findings: ${counts(d.countsByFindingType)}${lifecycle} [scan ${d.scanId}]`;
    }
    case DETAIL_TYPES.failed: {
      const d = detail as ScanFailedDetail;
      return `[SCAN FAILED] project ${d.projectId}/${d.region}: ${d.failureCode}: ${d.message} (read ${d.snapshotsRead} snapshots before stopping) [scan ${d.scanId}]`;
    }
    default:
      return undefined;
  }
}
