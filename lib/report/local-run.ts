/**
 * `npm run report` in a folder: the report of a read-only scan, with the folder's own history
 * (DIR/history/), so running it again draws the trend locally. Findings opened and resolved
 * between runs are counted by comparing the flagged snapshots of this run with the last one's
 * (DIR/history/flagged.json), since a read-only scan keeps no findings table.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DETAIL_TYPES, type OutboundEvent } from '../events/contract';
import type { PriceList } from '../pricing/prices';
import type { EventSink, ScanResult } from '../scan/run-scan';
import { type FleetReport, type ProjectReport, projectReportOf } from './fleet';
import { writeFleetReport } from './publish';
import { createFileReportStore } from './store';
import { compareFlagged } from './trend';

/** Where the flagged findings of the last local run are kept. */
export const FLAGGED_KEY = 'history/flagged.json';

/** A sink that keeps the id of every finding it is given (`target/project/findingId`) and sends nothing. */
export function createFindingCollector(): { createSink: () => EventSink; ids: Set<string> } {
  const ids = new Set<string>();
  return {
    ids,
    createSink: () => {
      const stats = { calls: 0, published: 0, retriedEntries: 0, shrunk: 0, failed: [] };
      return {
        stats,
        async add(event: OutboundEvent, onDelivered?: () => void) {
          if (event.detailType === DETAIL_TYPES.finding)
            ids.add(`${event.detail.target}/${event.detail.projectId}/${event.detail.findingId}`);
          stats.published++;
          onDelivered?.();
        },
        async flush() {},
      };
    },
  };
}

/** The report of a scan written to `out`, with its history; what was written and what the report says. */
export async function writeLocalReport(
  result: ScanResult,
  flagged: ReadonlySet<string>,
  options: { out: string; prices?: PriceList; now: Date; chartJs: string },
): Promise<{ report: FleetReport; written: string[]; trendRestarted: boolean }> {
  const parts = result.projects
    .map((p) => projectReportOf(p, result.scanId))
    .filter((p): p is ProjectReport => p !== undefined);
  const scanned = new Set(parts.map((p) => `${p.target}/${p.projectId}/`));
  const inScanned = (id: string) => scanned.has(`${id.split('/', 2).join('/')}/`);
  let before: string[] | undefined;
  try {
    const value = JSON.parse(await readFile(join(options.out, FLAGGED_KEY), 'utf8')) as unknown;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) before = value;
  } catch {
    before = undefined;
  }
  // Only projects this run read completely are compared; the others' findings are carried over.
  const now = [...flagged].filter(inScanned);
  const changes = before ? compareFlagged(before.filter(inScanned), now) : undefined;
  const written = await writeFleetReport(parts, createFileReportStore(options.out), {
    now: options.now,
    deadline: Number.POSITIVE_INFINITY,
    chartJs: options.chartJs,
    prices: options.prices,
    changes,
  });
  const path = join(options.out, FLAGGED_KEY);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify([...(before ?? []).filter((id) => !inScanned(id)), ...now].sort()));
  return written;
}
