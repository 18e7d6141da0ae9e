import { assembleFleetReport, type FleetReport, isProjectReport, type ProjectReport } from './fleet';
import { renderReportFiles } from './render';
import type { ReportStore } from './store';

export interface PublishedReport {
  report: FleetReport;
  /** Where the files went. */
  written: string[];
  /** Parts that could not be read as a project report (skipped, and said). */
  invalid: string[];
}

/**
 * The fleet report from every project's part in the store, in all its formats, written back as
 * the latest report (and its JSON under history/). A part that is not a project report is left
 * out and named, never guessed at.
 */
export async function publishFleetReport(store: ReportStore, options: { now: Date; deadline: number; chartJs: string }): Promise<PublishedReport> {
  const parts: ProjectReport[] = [];
  const invalid: string[] = [];
  for (const { key, text } of await store.readParts(options.deadline)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (isProjectReport(value)) parts.push(value);
    else invalid.push(key);
  }
  return { ...(await writeFleetReport(parts, store, options)), invalid };
}

/** The fleet report of these parts, in every format, written to the store. */
export async function writeFleetReport(parts: readonly ProjectReport[], store: ReportStore, options: { now: Date; deadline: number; chartJs: string }): Promise<{ report: FleetReport; written: string[] }> {
  const report = assembleFleetReport(parts, options.now);
  const written = await store.putReport(renderReportFiles(report, options.chartJs), report.generatedAt, options.deadline);
  return { report, written };
}
