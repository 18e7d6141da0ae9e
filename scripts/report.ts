/**
 * `npm run report`: scans the configured targets read-only (no events, no state written) and
 * writes the fleet report to a folder: fleet-report.json, .csv, .html (open it in a browser)
 * and .prom (OpenMetrics). `--out DIR` (default reports/), `--target T` and `--project P`
 * (repeatable), `--policy FILE`. Exits 1 when a project could not be scanned completely (the
 * report then leaves it out and says so), 2 on bad configuration.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chartJsSource } from '../lib/report/chart-source';
import { projectReportOf, type ProjectReport } from '../lib/report/fleet';
import { writeFleetReport } from '../lib/report/publish';
import { createFileReportStore } from '../lib/report/store';
import { buildScanner } from '../lib/scan/build';
import { createPrintingSink } from '../lib/scan/dry-run';
import { ConfigError } from '../lib/settings/env';
import { loadScanSettings } from '../lib/settings/scanner';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'reports' },
    target: { type: 'string', multiple: true, default: [] },
    project: { type: 'string', multiple: true, default: [] },
    policy: { type: 'string' },
    'timeout-seconds': { type: 'string', default: '840' },
  },
});

const configError = (error: unknown) => {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`configuration error: ${error.message}\n`);
  process.exit(2);
};

let result;
try {
  // Read-only: no findings table, no report bucket, events printed nowhere.
  const settings = loadScanSettings({ ...process.env, FINDINGS_TABLE: '', REPORT_BUCKET: '', ...(values.policy === undefined ? {} : { SCAN_POLICY_FILE: values.policy }) });
  const scan = buildScanner(settings, { dryRun: true, createSink: () => createPrintingSink(() => undefined) });
  result = await scan(Date.now() + Number(values['timeout-seconds']) * 1000, { targets: values.target, projects: values.project });
} catch (error) {
  configError(error);
}
if (!result) process.exit(2);

const parts = result.projects.map((p) => projectReportOf(p, result.scanId)).filter((p): p is ProjectReport => p !== undefined);
const { report, written } = await writeFleetReport(parts, createFileReportStore(resolve(values.out)), { now: new Date(), deadline: Number.POSITIVE_INFINITY, chartJs: chartJsSource() });
const t = report.totals;
const flagged = Object.values(t.byFindingType).reduce((n, v) => ({ count: n.count + v.count, gb: n.gb + v.gb }), { count: 0, gb: 0 });
process.stderr.write(`${t.projects} projects, ${t.snapshots} snapshots, ${t.gb} GB; the policy flags ${flagged.count} snapshots, ${flagged.gb} GB\n`);
for (const [type, v] of Object.entries(t.byFindingType)) process.stderr.write(`  ${type}: ${v.count} snapshots, ${v.gb} GB\n`);
const missing = result.projects.filter((p) => !p.complete);
for (const p of missing) process.stderr.write(`left out, not scanned completely: ${p.target}/${p.projectId}: ${p.failure?.code ?? 'incomplete'}: ${p.failure?.message ?? ''}\n`);
for (const path of written) process.stdout.write(`${path}\n`);
process.exit(missing.length > 0 ? 1 : 0);
