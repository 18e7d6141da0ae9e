import type { ScanResult } from './run-scan';

/** The run's outcome as one log line or return value: counts, not events. */
export function summariseResult(result: ScanResult) {
  return {
    scanId: result.scanId,
    ok: result.ok,
    projects: result.projects.map((p) => ({
      target: p.target,
      region: p.region,
      projectId: p.projectId,
      complete: p.complete,
      snapshotsRead: p.snapshotsRead,
      pagesRead: p.pagesRead,
      findings: p.countsByFindingType,
      ...(p.skipped ? { skipped: true } : {}),
      ...(p.malformedRows > 0 ? { malformedRows: p.malformedRows } : {}),
      transitions: p.transitions,
      delivered: p.delivery.published,
      deliveryFailures: p.delivery.failed.length,
      ...(p.failure ? { failureCode: p.failure.code, failure: p.failure.message } : {}),
      ...(p.reportWritten === false ? { reportWritten: false } : {}),
    })),
  };
}

export type ScanSummary = ReturnType<typeof summariseResult>;
