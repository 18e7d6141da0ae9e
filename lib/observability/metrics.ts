import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** The CloudWatch namespace every metric of the stack is published under (alarms and the dashboard read it). */
export const METRICS_NAMESPACE = 'EvsSnapshotSentinel';

/** Powertools Metrics (EMF on stdout, which CloudWatch turns into metrics) for one function. */
export function createMetrics(serviceName: string): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
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
