import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ScanResult } from './run-scan';

/**
 * What operators alarm on after a scan: projects that could not be looked at, events that
 * never reached the bus, and the counts behind the dashboard. `ScansCompleted` counts project
 * summaries published, so an alarm on its absence is the scanner's heartbeat.
 */
export function recordScan(metrics: Metrics, result: ScanResult, durationMs: number): void {
  const counts = {
    SnapshotsRead: 0,
    ProjectsIncomplete: 0,
    ProjectsSkipped: 0,
    EventsUndelivered: 0,
    ScansCompleted: 0,
    ReportPartsUnwritten: 0,
    FindingsOpened: 0,
    FindingsChanged: 0,
    FindingsReminded: 0,
    FindingsResolved: 0,
  };
  // Keyed `TYPE/severity`: a policy rule sets the severity, so one type may come in several.
  const byType = new Map<string, number>();
  const failures = new Map<string, number>();
  for (const p of result.projects) {
    counts.SnapshotsRead += p.snapshotsRead;
    if (p.skipped) counts.ProjectsSkipped++;
    else if (!p.complete) counts.ProjectsIncomplete++;
    counts.EventsUndelivered += p.delivery.failed.length;
    if (!p.delivery.failed.some((f) => f.detailType === 'EVS Snapshot Scan Summary')) counts.ScansCompleted++;
    if (p.reportWritten === false) counts.ReportPartsUnwritten++;
    counts.FindingsOpened += p.transitions.opened;
    counts.FindingsChanged += p.transitions.changed;
    counts.FindingsReminded += p.transitions.reminded;
    counts.FindingsResolved += p.transitions.resolved;
    for (const [type, bySeverity] of Object.entries(p.countsBySeverity)) {
      for (const [severity, n] of Object.entries(bySeverity))
        byType.set(`${type}/${severity}`, (byType.get(`${type}/${severity}`) ?? 0) + n);
    }
    if (p.failure && !p.skipped) failures.set(p.failure.code, (failures.get(p.failure.code) ?? 0) + 1);
  }
  for (const [name, n] of Object.entries(counts)) metrics.addMetric(name, MetricUnit.Count, n);
  metrics.addMetric('ScanDuration', MetricUnit.Milliseconds, durationMs);
  // Dimensioned counts go out as single-metric blobs so the service-level set keeps one dimension.
  for (const [key, n] of byType) {
    const [type = 'unknown', severity = 'unknown'] = key.split('/');
    metrics
      .singleMetric()
      .addDimensions({ FindingType: type, Severity: severity })
      .addMetric('Findings', MetricUnit.Count, n);
  }
  for (const [code, n] of failures)
    metrics.singleMetric().addDimension('FailureCode', code).addMetric('UpstreamErrors', MetricUnit.Count, n);
}
