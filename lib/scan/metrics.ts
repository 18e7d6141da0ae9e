import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ScanResult } from './run-scan';

/** The CloudWatch namespace every metric of the stack is published under (alarms and the dashboard read it). */
export const METRICS_NAMESPACE = 'EvsSnapshotSentinel';

/** Powertools Metrics (EMF on stdout, which CloudWatch turns into metrics) for one function. */
export function createMetrics(serviceName: string): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
}

/**
 * What operators alarm on after a scan: projects that could not be looked at, events that
 * never reached the bus, and the counts behind the dashboard. `ScansCompleted` counts project
 * summaries published, so an alarm on its absence is the scanner's heartbeat.
 */
export function recordScan(metrics: Metrics, result: ScanResult, durationMs: number): void {
  let snapshots = 0;
  let incomplete = 0;
  let skipped = 0;
  let undelivered = 0;
  let summaries = 0;
  let reportsUnwritten = 0;
  const transitions = { Opened: 0, Changed: 0, Reminded: 0, Resolved: 0 };
  // Keyed `TYPE/severity`: a policy rule sets the severity, so one type may come in several.
  const byType = new Map<string, number>();
  const failures = new Map<string, number>();
  for (const p of result.projects) {
    snapshots += p.snapshotsRead;
    if (p.skipped) skipped++;
    else if (!p.complete) incomplete++;
    undelivered += p.delivery.failed.length;
    if (!p.delivery.failed.some((f) => f.detailType === 'EVS Snapshot Scan Summary')) summaries++;
    if (p.reportWritten === false) reportsUnwritten++;
    transitions.Opened += p.transitions.opened;
    transitions.Changed += p.transitions.changed;
    transitions.Reminded += p.transitions.reminded;
    transitions.Resolved += p.transitions.resolved;
    for (const [type, bySeverity] of Object.entries(p.countsBySeverity)) {
      for (const [severity, n] of Object.entries(bySeverity)) byType.set(`${type}/${severity}`, (byType.get(`${type}/${severity}`) ?? 0) + n);
    }
    if (p.failure && !p.skipped) failures.set(p.failure.code, (failures.get(p.failure.code) ?? 0) + 1);
  }
  metrics.addMetric('SnapshotsRead', MetricUnit.Count, snapshots);
  metrics.addMetric('ProjectsIncomplete', MetricUnit.Count, incomplete);
  metrics.addMetric('ProjectsSkipped', MetricUnit.Count, skipped);
  metrics.addMetric('EventsUndelivered', MetricUnit.Count, undelivered);
  metrics.addMetric('ScansCompleted', MetricUnit.Count, summaries);
  metrics.addMetric('ScanDuration', MetricUnit.Milliseconds, durationMs);
  metrics.addMetric('ReportPartsUnwritten', MetricUnit.Count, reportsUnwritten);
  for (const [name, n] of Object.entries(transitions)) metrics.addMetric(`Findings${name}`, MetricUnit.Count, n);
  // Dimensioned counts go out as single-metric blobs so the service-level set keeps one dimension.
  for (const [key, n] of byType) {
    const [type = 'unknown', severity = 'unknown'] = key.split('/');
    metrics.singleMetric().addDimensions({ FindingType: type, Severity: severity }).addMetric('Findings', MetricUnit.Count, n);
  }
  for (const [code, n] of failures) metrics.singleMetric().addDimension('FailureCode', code).addMetric('UpstreamErrors', MetricUnit.Count, n);
}

/**
 * One proxy request: counted by status class, with how long the upstream took, in one EMF blob
 * (one write per request; both metrics carry the StatusClass dimension).
 */
export function recordRequest(metrics: Metrics, status: number, upstreamMs: number | undefined): void {
  metrics.addDimension('StatusClass', `${Math.floor(status / 100)}xx`);
  metrics.addMetric('Requests', MetricUnit.Count, 1);
  if (upstreamMs !== undefined) metrics.addMetric('UpstreamLatency', MetricUnit.Milliseconds, upstreamMs);
}
