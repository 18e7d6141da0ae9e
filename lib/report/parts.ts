import type { ProjectResult, ScanResult } from '../scan/run-scan';
import { projectReportOf } from './fleet';
import type { ReportStore } from './store';

/**
 * Writes each complete project's part of the fleet report and marks the project with whether it
 * was written. A failed write is told to `onError`, not thrown: the scan stands without it.
 */
export async function writeReportParts(
  store: ReportStore,
  result: ScanResult,
  deadline: number,
  onError?: (error: unknown, project: ProjectResult) => void,
): Promise<void> {
  await Promise.all(
    result.projects.map(async (project) => {
      const part = projectReportOf(project, result.scanId);
      if (!part) return;
      try {
        await store.putPart(part, deadline);
        project.reportWritten = true;
      } catch (error) {
        project.reportWritten = false;
        onError?.(error, project);
      }
    }),
  );
}
