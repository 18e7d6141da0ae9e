/**
 * `npm run report`: scans the configured targets read-only (no events, no state written) and
 * writes the fleet report to a folder: fleet-report.json, .csv, .html (open it in a browser)
 * and .prom (OpenMetrics). Options and exit codes: `--help`, docs/cli.md.
 */
import { resolve } from 'node:path';
import { EXIT, exitAfterFlush, failUsage, integer, list, readCommandLine, text } from '../lib/cli/args';
import { ConfigError } from '../lib/config/env';
import { loadPricesFile } from '../lib/pricing/load';
import { formatMoney, type PriceList } from '../lib/pricing/prices';
import { chartJsSource } from '../lib/report/chart-source';
import { createFindingCollector, writeLocalReport } from '../lib/report/local-run';
import { buildScanner } from '../lib/wiring/scanner';
import { loadScanSettings } from '../lib/wiring/settings/scanner';

const { values, json } = readCommandLine({
  name: 'report',
  summary:
    'Scans the configured projects read-only and writes the fleet report (JSON, CSV, HTML, OpenMetrics) to a folder.',
  options: {
    out: text('DIR', 'the folder to write the report to', { default: 'reports' }),
    target: list('TARGET', 'report only this target'),
    project: list('PROJECT', 'report only this project'),
    policy: text('FILE', 'judge with this policy file instead of SCAN_POLICY_FILE'),
    prices: text('FILE', 'price the snapshots with this price file (money in the report; docs/report.md)'),
    'timeout-seconds': integer('SECONDS', 'stop listing after this long', { min: 1, max: 86_400, default: 840 }),
  },
  notes: [
    'Prints the paths written on stdout, one a line; with --json, one JSON document instead: the totals, the files written and the projects left out.',
    'Exit codes: 0 report written with every project; 1 a project could not be scanned completely (the report leaves it out and says so); 2 bad option or configuration.',
  ],
});

let result;
let prices: PriceList | undefined;
const findings = createFindingCollector();
try {
  prices = values.prices === undefined ? undefined : loadPricesFile(values.prices, '--prices names');
  // Read-only: no findings table, no report bucket, events printed nowhere.
  const settings = loadScanSettings({
    ...process.env,
    FINDINGS_TABLE: '',
    REPORT_BUCKET: '',
    ...(values.policy === undefined ? {} : { SCAN_POLICY_FILE: values.policy }),
  });
  const scan = buildScanner(settings, { dryRun: true, createSink: findings.createSink });
  result = await scan(Date.now() + values['timeout-seconds'] * 1000, {
    targets: values.target,
    projects: values.project,
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  failUsage('report', `configuration error: ${error.message}`);
}

const { report, written } = await writeLocalReport(result, findings.ids, {
  out: resolve(values.out),
  prices,
  now: new Date(),
  chartJs: chartJsSource(),
});
const t = report.totals;
const flagged = Object.values(t.byFindingType).reduce((n, v) => ({ count: n.count + v.count, gb: n.gb + v.gb }), {
  count: 0,
  gb: 0,
});
process.stderr.write(
  `${t.projects} projects, ${t.snapshots} snapshots, ${t.gb} GB; the policy flags ${flagged.count} snapshots, ${flagged.gb} GB\n`,
);
for (const [type, v] of Object.entries(t.byFindingType))
  process.stderr.write(`  ${type}: ${v.count} snapshots, ${v.gb} GB\n`);
if (report.money)
  process.stderr.write(
    `at most ${formatMoney(report.money.currency, report.money.perMonth)} a month; removing the flagged ones would save at most ${formatMoney(report.money.currency, report.money.flaggedPerMonth)} a month (priced from size)\n`,
  );
const missing = result.projects.filter((p) => !p.complete);
const leftOut = missing.map((p) => ({
  target: p.target,
  projectId: p.projectId,
  code: p.failure?.code ?? 'incomplete',
  message: p.failure?.message ?? '',
}));
for (const p of leftOut)
  process.stderr.write(`left out, not scanned completely: ${p.target}/${p.projectId}: ${p.code}: ${p.message}\n`);
if (json) process.stdout.write(`${JSON.stringify({ scanId: result.scanId, totals: t, written, leftOut })}\n`);
else for (const path of written) process.stdout.write(`${path}\n`);
await exitAfterFlush(missing.length > 0 ? EXIT.problems : EXIT.ok);
