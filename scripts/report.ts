/**
 * `npm run report`: scans the configured targets read-only (no events, no state written) and
 * writes the fleet report to a folder: fleet-report.json, .csv, .html (open it in a browser)
 * and .prom (OpenMetrics). `--out DIR` (default reports/), `--target T` and `--project P`
 * (repeatable), `--policy FILE`, `--prices FILE` (money; lib/pricing). Runs into the same folder
 * keep a history there (DIR/history/) that the page draws as trends. Exits 1 when a project could not be scanned completely (the
 * report then leaves it out and says so), 2 on bad configuration.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPricesFile } from '../lib/pricing/load';
import { formatMoney, type PriceList } from '../lib/pricing/prices';
import { chartJsSource } from '../lib/report/chart-source';
import { createFindingCollector, writeLocalReport } from '../lib/report/local-run';
import { buildScanner } from '../lib/scan/build';
import { ConfigError } from '../lib/settings/env';
import { loadScanSettings } from '../lib/settings/scanner';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'reports' },
    target: { type: 'string', multiple: true, default: [] },
    project: { type: 'string', multiple: true, default: [] },
    policy: { type: 'string' },
    prices: { type: 'string' },
    'timeout-seconds': { type: 'string', default: '840' },
  },
});

const configError = (error: unknown) => {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`configuration error: ${error.message}\n`);
  process.exit(2);
};

let result;
let prices: PriceList | undefined;
const findings = createFindingCollector();
try {
  prices = values.prices === undefined ? undefined : loadPricesFile(values.prices, '--prices names');
  // Read-only: no findings table, no report bucket, events printed nowhere.
  const settings = loadScanSettings({ ...process.env, FINDINGS_TABLE: '', REPORT_BUCKET: '', ...(values.policy === undefined ? {} : { SCAN_POLICY_FILE: values.policy }) });
  const scan = buildScanner(settings, { dryRun: true, createSink: findings.createSink });
  result = await scan(Date.now() + Number(values['timeout-seconds']) * 1000, { targets: values.target, projects: values.project });
} catch (error) {
  configError(error);
}
if (!result) process.exit(2);

const { report, written } = await writeLocalReport(result, findings.ids, { out: resolve(values.out), prices, now: new Date(), chartJs: chartJsSource() });
const t = report.totals;
const flagged = Object.values(t.byFindingType).reduce((n, v) => ({ count: n.count + v.count, gb: n.gb + v.gb }), { count: 0, gb: 0 });
process.stderr.write(`${t.projects} projects, ${t.snapshots} snapshots, ${t.gb} GB; the policy flags ${flagged.count} snapshots, ${flagged.gb} GB\n`);
for (const [type, v] of Object.entries(t.byFindingType)) process.stderr.write(`  ${type}: ${v.count} snapshots, ${v.gb} GB\n`);
if (report.money) process.stderr.write(`at most ${formatMoney(report.money.currency, report.money.perMonth)} a month; removing the flagged ones would save at most ${formatMoney(report.money.currency, report.money.flaggedPerMonth)} a month (priced from size)\n`);
const missing = result.projects.filter((p) => !p.complete);
for (const p of missing) process.stderr.write(`left out, not scanned completely: ${p.target}/${p.projectId}: ${p.failure?.code ?? 'incomplete'}: ${p.failure?.message ?? ''}\n`);
for (const path of written) process.stdout.write(`${path}\n`);
process.exit(missing.length > 0 ? 1 : 0);
