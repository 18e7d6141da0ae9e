import { FINDING_TYPES } from '../domain/finding';
import type { ScanResult } from './run-scan';

/** A plain-text table of a run, one row per project, for people at a terminal. */
export function formatScanTable(result: ScanResult): string {
  const header = ['project', 'state', 'snapshots', 'pages', ...FINDING_TYPES, 'opened', 'changed', 'reminded', 'resolved', 'delivered', 'undelivered'];
  const rows = result.projects.map((p) => [
    p.projectId,
    p.complete ? 'complete' : p.skipped ? 'skipped' : (p.failure?.code ?? 'incomplete'),
    String(p.snapshotsRead),
    String(p.pagesRead),
    ...FINDING_TYPES.map((t) => String(p.countsByFindingType[t] ?? 0)),
    String(p.transitions.opened),
    String(p.transitions.changed),
    String(p.transitions.reminded),
    String(p.transitions.resolved),
    String(p.delivery.published),
    String(p.delivery.failed.length),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const failures = result.projects.filter((p) => p.failure && !p.skipped).map((p) => `  ${p.projectId}: ${p.failure?.code}: ${p.failure?.message}`);
  const malformed = result.projects.filter((p) => p.malformedRows > 0).map((p) => `  ${p.projectId}: ${p.malformedRows} listed row(s) malformed (a size or field out of range), left unjudged`);
  const skipped = result.projects.filter((p) => p.skipped).map((p) => `  ${p.projectId}: another scan holds its lease; this run did not scan it`);
  return [line(header), ...rows.map(line), ...(failures.length ? ['failures:', ...failures] : []), ...(skipped.length ? ['skipped:', ...skipped] : []), ...(malformed.length ? ['malformed:', ...malformed] : []), `scan ${result.scanId}: ${result.ok ? 'ok' : 'PROBLEMS'}`].join('\n');
}
