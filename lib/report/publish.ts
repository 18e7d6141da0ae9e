import type { PriceList } from '../pricing/prices';
import { assembleFleetReport, type FleetReport, isProjectReport, type ProjectReport } from './fleet';
import { type RemovalReader, removedSince } from './removed';
import { renderReportFiles } from './render';
import type { ReportStore } from './store';
import { appendTrendPoint, parseTrend } from './trend';

export interface WriteReportOptions {
  now: Date;
  deadline: number;
  chartJs: string;
  /** Without prices, no money is shown. */
  prices?: PriceList;
  /** Findings opened and resolved since the last run, when the caller knows them (see appendTrendPoint). */
  changes?: { opened: number; resolved: number };
  /** The cleanup's confirmed deletions (the findings table's audit trail); without it the report shows no removals. */
  removals?: RemovalReader;
}

export interface PublishedReport {
  report: FleetReport;
  /** Where the files went. */
  written: string[];
  /** Parts that could not be read as a project report (skipped, and said). */
  invalid: string[];
  /** The kept trend could not be read and was started again. */
  trendRestarted: boolean;
}

/**
 * The fleet report from every project's part in the store, in all its formats, written back as
 * the latest report (and its JSON under history/). A part that is not a project report is left
 * out and named, never guessed at.
 */
export async function publishFleetReport(store: ReportStore, options: WriteReportOptions): Promise<PublishedReport> {
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

/**
 * The fleet report of these parts, in every format, with the kept trend (this run's point added),
 * written to the store. The trend is written after the report, so a failed write leaves no point
 * for a report that does not exist.
 */
export async function writeFleetReport(
  parts: readonly ProjectReport[],
  store: ReportStore,
  options: WriteReportOptions,
): Promise<{ report: FleetReport; written: string[]; trendRestarted: boolean }> {
  const removals = options.removals
    ? await options.removals(
        parts.map((p) => p.projectId),
        removedSince(options.now),
        options.deadline,
      )
    : undefined;
  const report = assembleFleetReport(parts, options.now, { prices: options.prices, removals });
  const { trend: previous, unreadable } = parseTrend(await store.readTrend(options.deadline));
  const trend = appendTrendPoint(previous, report, options.changes);
  report.trend = trend.points;
  const written = await store.putReport(
    renderReportFiles(report, options.chartJs),
    report.generatedAt,
    options.deadline,
  );
  await store.putTrend(JSON.stringify(trend), options.deadline);
  return { report, written, trendRestarted: unreadable };
}
