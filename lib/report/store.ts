import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ProjectReport } from './fleet';
import type { ReportFile } from './render';

/**
 * Where report parts and the fleet report live: an S3 bucket when deployed
 * (lib/report/s3-store.ts, loaded on first use), a folder for `npm run report`.
 */
export interface ReportStore {
  /** Writes a project's part: `projects/{target}/{projectId}.json`. */
  putPart(part: ProjectReport, deadline: number): Promise<void>;
  /** Every part, as text (the caller checks each). */
  readParts(deadline: number): Promise<Array<{ key: string; text: string }>>;
  /** The kept trend (history/trend.json), or undefined when there is none yet. */
  readTrend(deadline: number): Promise<string | undefined>;
  putTrend(text: string, deadline: number): Promise<void>;
  /** The fleet report's files, as the latest and under history/{generatedAt}/ (JSON only there). */
  putReport(files: readonly ReportFile[], generatedAt: string, deadline: number): Promise<string[]>;
}

/** The key of a project's part. Target names and project ids are checked at load time: no slashes, no dots. */
export const partKey = (part: Pick<ProjectReport, 'target' | 'projectId'>) =>
  `projects/${part.target}/${part.projectId}.json`;

/** The latest HTML report, what links point at. */
export const LATEST_HTML = 'fleet-report.html';
/** The points the report's trend charts are drawn from, one per report run. */
export const TREND_KEY = 'history/trend.json';

/** History keys sort by time: `history/2026-12-01T12-00-00Z/`. */
export const historyPrefix = (generatedAt: string) => `history/${generatedAt.slice(0, 19).replaceAll(':', '-')}Z/`;

/** A report store in a folder (`npm run report`, tests). */
export function createFileReportStore(root: string): ReportStore {
  const write = async (key: string, body: string) => {
    const path = join(root, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
    return path;
  };
  return {
    async putPart(part) {
      await write(partKey(part), JSON.stringify(part));
    },
    async readParts() {
      const out: Array<{ key: string; text: string }> = [];
      let targets: string[] = [];
      try {
        targets = await readdir(join(root, 'projects'));
      } catch {
        return out;
      }
      for (const target of targets.sort()) {
        for (const file of (await readdir(join(root, 'projects', target))).sort()) {
          const key = `projects/${target}/${file}`;
          out.push({ key, text: await readFile(join(root, key), 'utf8') });
        }
      }
      return out;
    },
    async readTrend() {
      try {
        return await readFile(join(root, TREND_KEY), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async putTrend(text) {
      await write(TREND_KEY, text);
    },
    async putReport(files, generatedAt) {
      const written: string[] = [];
      for (const f of files) written.push(await write(f.name, f.body));
      const json = files.find((f) => f.name.endsWith('.json'));
      if (json) await write(`${historyPrefix(generatedAt)}${json.name}`, json.body);
      return written;
    },
  };
}
