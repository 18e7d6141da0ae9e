import { FINDING_TYPES } from '../domain/finding';
import { sumRuleTallies } from './rule-tally';
import type { ScanResult } from './run-scan';

/** The header and rows as lines of left-aligned columns, two spaces apart. */
function textTable(header: readonly string[], rows: readonly string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** A plain-text table of a run, one row per project, for people at a terminal. */
export function formatScanTable(result: ScanResult): string {
  const header = [
    'project',
    'state',
    'snapshots',
    'pages',
    ...FINDING_TYPES,
    'opened',
    'changed',
    'reminded',
    'resolved',
    'delivered',
    'undelivered',
  ];
  const rows = result.projects.map((p) => [
    p.projectId,
    p.complete ? 'complete' : p.skipped ? 'skipped' : (p.failure?.code ?? 'incomplete'),
    String(p.snapshotsRead),
    String(p.pagesRead),
    // By severity counts every finding, volumes' (UNPROTECTED_VOLUME) included.
    ...FINDING_TYPES.map((t) => String(Object.values(p.countsBySeverity[t] ?? {}).reduce((n, c) => n + c, 0))),
    String(p.transitions.opened),
    String(p.transitions.changed),
    String(p.transitions.reminded),
    String(p.transitions.resolved),
    String(p.delivery.published),
    String(p.delivery.failed.length),
  ]);
  const failures = result.projects
    .filter((p) => p.failure && !p.skipped)
    .map((p) => `  ${p.projectId}: ${p.failure?.code}: ${p.failure?.message}`);
  const malformed = result.projects
    .filter((p) => p.malformedRows > 0)
    .map(
      (p) =>
        `  ${p.projectId}: ${p.malformedRows} listed row(s) malformed (a size or field out of range), left unjudged`,
    );
  const skipped = result.projects
    .filter((p) => p.skipped)
    .map((p) => `  ${p.projectId}: another scan holds its lease; this run did not scan it`);
  return [
    ...textTable(header, rows),
    ...(failures.length ? ['failures:', ...failures] : []),
    ...(skipped.length ? ['skipped:', ...skipped] : []),
    ...(malformed.length ? ['malformed:', ...malformed] : []),
    `scan ${result.scanId}: ${result.ok ? 'ok' : 'PROBLEMS'}`,
  ].join('\n');
}

/**
 * Per rule, what a run flagged over every project: snapshots (volumes, for UNPROTECTED_VOLUME)
 * and GB, and the cloud's own backup snapshots the rule matched but was kept from. Rules in the
 * policy's order, each with its finding type; for tuning a policy with a dry run.
 */
export function formatRuleTally(
  result: ScanResult,
  rules: ReadonlyArray<{ name: string; finding: string; enabled?: boolean }>,
): string {
  const total = sumRuleTallies(result.projects.map((p) => p.byRule));
  const header = ['rule', 'finding', 'flagged', 'GB', 'system snapshots kept out'];
  const rows = rules.map((r) => {
    const c = total[r.name] ?? { findings: 0, gb: 0, protected: 0 };
    const unit = r.finding === 'UNPROTECTED_VOLUME' ? 'volumes' : 'snapshots';
    return [r.name, r.finding, `${c.findings} ${unit}`, String(Math.round(c.gb)), String(c.protected)];
  });
  return [
    'per rule (what each rule flags; rules disabled for every project flag nothing):',
    ...textTable(header, rows),
  ].join('\n');
}
