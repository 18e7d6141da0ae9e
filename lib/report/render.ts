// The report adds up snapshots: findings about volumes (UNPROTECTED_VOLUME) are the summary's and the findings API's.
import { SNAPSHOT_FINDING_TYPES as FINDING_TYPES } from '../domain/finding';
import type { FleetReport } from './fleet';
import type { CountGb } from './stats';

/** A file of the report: its name, what it holds, and its type for S3 and browsers. */
export interface ReportFile {
  name: string;
  body: string;
  contentType: string;
}

const round = (gb: number) => Math.round(gb * 100) / 100;

/** Statuses in the report, most GB first (a stable order for columns, charts and gauges). */
function statusesOf(report: FleetReport): string[] {
  return Object.entries(report.totals.byStatus)
    .sort(([a, x], [b, y]) => y.gb - x.gb || (a < b ? -1 : 1))
    .map(([status]) => status);
}

/** One CSV cell: quoted when needed, and never read as a formula by a spreadsheet. */
function cell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const zero: CountGb = { count: 0, gb: 0 };

/** One row per project (and a TOTAL row): counts and GB by status, age bucket and finding type. */
export function renderCsv(report: FleetReport): string {
  const statuses = statusesOf(report);
  const buckets = report.totals.byAge.map((b) => b.bucket);
  const header = [
    'target',
    'region',
    'project_id',
    'scanned_at',
    'snapshots',
    'gb',
    ...statuses.flatMap((s) => [`status:${s}:count`, `status:${s}:gb`]),
    ...buckets.flatMap((b) => [`age:${b}:count`, `age:${b}:gb`]),
    ...FINDING_TYPES.flatMap((t) => [`finding:${t}:count`, `finding:${t}:gb`]),
    'oldest_days',
    'largest_gb',
  ];
  const row = (id: { target: string; region: string; projectId: string; scannedAt: string }, s: { snapshots: number; gb: number; byStatus: Record<string, CountGb>; byAge: Array<{ bucket: string } & CountGb>; byFindingType: Record<string, CountGb>; oldest: Array<{ ageDays: number | null }>; largest: Array<{ sizeGb: number }> }) => [
    id.target,
    id.region,
    id.projectId,
    id.scannedAt,
    s.snapshots,
    round(s.gb),
    ...statuses.flatMap((st) => {
      const v = Object.hasOwn(s.byStatus, st) ? (s.byStatus[st] as CountGb) : zero;
      return [v.count, round(v.gb)];
    }),
    ...buckets.flatMap((b) => {
      const v = s.byAge.find((a) => a.bucket === b) ?? zero;
      return [v.count, round(v.gb)];
    }),
    ...FINDING_TYPES.flatMap((t) => {
      const v = Object.hasOwn(s.byFindingType, t) ? (s.byFindingType[t] as CountGb) : zero;
      return [v.count, round(v.gb)];
    }),
    s.oldest[0]?.ageDays ?? null,
    s.largest[0]?.sizeGb ?? null,
  ];
  const lines = [header, ...report.projects.map((p) => row(p, p.stats)), row({ target: 'TOTAL', region: '', projectId: '', scannedAt: report.generatedAt }, report.totals)];
  return `${lines.map((l) => l.map(cell).join(',')).join('\r\n')}\r\n`;
}

/** An OpenMetrics label value: backslash, quote and newline escaped. */
const label = (value: string) => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

/** The same counts as OpenMetrics gauges, for teams that scrape Prometheus (e.g. from the bucket through a textfile collector). */
export function renderOpenMetrics(report: FleetReport): string {
  const families: Array<{ name: string; help: string; unit?: string; samples: string[] }> = [
    { name: 'evs_snapshots', help: 'Snapshots by status at the last complete scan.', samples: [] },
    { name: 'evs_snapshot_size_gigabytes', help: 'Snapshot size by status at the last complete scan.', unit: 'gigabytes', samples: [] },
    { name: 'evs_snapshots_by_age', help: 'Snapshots by age bucket (days since created_at).', samples: [] },
    { name: 'evs_snapshot_findings', help: 'Snapshots the policy flags, by finding type.', samples: [] },
    { name: 'evs_snapshot_finding_size_gigabytes', help: 'Size of the snapshots the policy flags, by finding type.', unit: 'gigabytes', samples: [] },
    { name: 'evs_project_last_scan_timestamp_seconds', help: 'When the project was last scanned completely.', unit: 'seconds', samples: [] },
  ];
  const [snapshots, gb, ages, findings, findingGb, scanned] = families as [(typeof families)[0], (typeof families)[0], (typeof families)[0], (typeof families)[0], (typeof families)[0], (typeof families)[0]];
  for (const p of report.projects) {
    const where = `target="${label(p.target)}",region="${label(p.region)}",project_id="${label(p.projectId)}"`;
    for (const [status, v] of Object.entries(p.stats.byStatus)) {
      snapshots.samples.push(`evs_snapshots{${where},status="${label(status)}"} ${v.count}`);
      gb.samples.push(`evs_snapshot_size_gigabytes{${where},status="${label(status)}"} ${v.gb}`);
    }
    for (const b of p.stats.byAge) ages.samples.push(`evs_snapshots_by_age{${where},bucket="${label(b.bucket)}"} ${b.count}`);
    for (const type of FINDING_TYPES) {
      const v = Object.hasOwn(p.stats.byFindingType, type) ? (p.stats.byFindingType[type] as CountGb) : zero;
      findings.samples.push(`evs_snapshot_findings{${where},finding_type="${type}"} ${v.count}`);
      findingGb.samples.push(`evs_snapshot_finding_size_gigabytes{${where},finding_type="${type}"} ${v.gb}`);
    }
    scanned.samples.push(`evs_project_last_scan_timestamp_seconds{${where}} ${Date.parse(p.scannedAt) / 1000}`);
  }
  const out: string[] = [];
  for (const f of families) {
    out.push(`# TYPE ${f.name} gauge`, `# HELP ${f.name} ${f.help}`);
    if (f.unit) out.push(`# UNIT ${f.name} ${f.unit}`);
    out.push(...f.samples);
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

/** Text for HTML: the five characters that could open markup, escaped. */
const html = (value: string | number | null) =>
  String(value ?? '').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');

const gbText = (gb: number) => `${round(gb).toLocaleString('en-US')} GB`;
const int = (n: number) => n.toLocaleString('en-US');

/**
 * A self-contained HTML page: the report's JSON embedded once, Chart.js inlined (no network), the
 * charts drawn from that JSON in the page, and the tables written here. `chartJs` is the library's
 * UMD build (lib/report/chart-source.ts).
 */
export function renderHtml(report: FleetReport, chartJs: string): string {
  const t = report.totals;
  const flaggedGb = Object.values(t.byFindingType).reduce((n, v) => n + v.gb, 0);
  const unneededGb = ['STALE', 'ORPHANED'].reduce((n, type) => n + (Object.hasOwn(t.byFindingType, type) ? (t.byFindingType[type] as CountGb).gb : 0), 0);
  const projectRows = report.projects
    .map((p) => {
      const findings = Object.values(p.stats.byFindingType).reduce((n, v) => ({ count: n.count + v.count, gb: n.gb + v.gb }), { count: 0, gb: 0 });
      return `<tr><td>${html(p.target)}</td><td>${html(p.region)}</td><td><code>${html(p.projectId)}</code></td><td>${html(p.scannedAt)}</td><td class="n">${int(p.stats.snapshots)}</td><td class="n">${gbText(p.stats.gb)}</td><td class="n">${int(findings.count)}</td><td class="n">${gbText(findings.gb)}</td></tr>`;
    })
    .join('\n');
  const snapshotRows = (list: typeof t.oldest) =>
    list.map((s) => `<tr><td><code>${html(s.id)}</code></td><td>${html(s.name)}</td><td>${html(s.status)}</td><td class="n">${gbText(s.sizeGb)}</td><td>${html(s.createdAt)}</td><td class="n">${html(s.ageDays)}</td><td>${html(s.findingType ?? '')}</td><td><code>${html(s.projectId)}</code></td></tr>`).join('\n');
  const findingRows = FINDING_TYPES.map((type) => {
    const v = Object.hasOwn(t.byFindingType, type) ? (t.byFindingType[type] as CountGb) : zero;
    return `<tr><td>${type}</td><td class="n">${int(v.count)}</td><td class="n">${gbText(v.gb)}</td></tr>`;
  }).join('\n');
  const snapshotHead = '<tr><th>snapshot</th><th>name</th><th>status</th><th>size</th><th>created</th><th>age (days)</th><th>finding</th><th>project</th></tr>';
  const countRows = (rows: Array<[string, CountGb]>) => rows.map(([k, v]) => `<tr><td>${html(k)}</td><td class="n">${int(v.count)}</td><td class="n">${gbText(v.gb)}</td></tr>`).join('');
  const countTable = (title: string, rows: Array<[string, CountGb]>) => `<table><thead><tr><th>${title}</th><th>snapshots</th><th>size</th></tr></thead><tbody>${countRows(rows)}</tbody></table>`;
  // Each project's own numbers, folded: status, age and findings, and its oldest and largest.
  const projectDetails = report.projects
    .map((p) => {
      const own = (list: typeof p.stats.oldest) => snapshotRows(list.map((b) => ({ ...b, target: p.target, projectId: p.projectId })));
      return `<details class="project" data-project="${html(p.projectId)}"><summary>${html(p.target)} / <code>${html(p.projectId)}</code> (${html(p.region)}): ${int(p.stats.snapshots)} snapshots, ${gbText(p.stats.gb)}</summary>
<div class="grid">${countTable('status', Object.entries(p.stats.byStatus).sort(([, a], [, b]) => b.gb - a.gb))}${countTable('age', p.stats.byAge.map((b) => [b.bucket, b]))}${countTable('finding', FINDING_TYPES.map((type) => [type, Object.hasOwn(p.stats.byFindingType, type) ? (p.stats.byFindingType[type] as CountGb) : zero]))}</div>
<h3>Oldest</h3><table><thead>${snapshotHead}</thead><tbody>${own(p.stats.oldest)}</tbody></table>
<h3>Largest</h3><table><thead>${snapshotHead}</thead><tbody>${own(p.stats.largest)}</tbody></table>
</details>`;
    })
    .join('\n');
  // JSON inside <script>: `<` escaped so no string in it can close the element.
  const data = JSON.stringify(report).replaceAll('<', '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>EVS snapshot fleet report ${html(report.generatedAt)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1f2328; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.sub { color: #59636e; margin-bottom: 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 20px; }
.card { border: 1px solid #d1d9e0; border-radius: 6px; padding: 10px 14px; min-width: 150px; }
.card b { display: block; font-size: 20px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 20px; }
.chart { border: 1px solid #d1d9e0; border-radius: 6px; padding: 12px; height: 320px; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #e5e9ed; padding: 4px 8px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } code { font-size: 12px; }
details.project { border: 1px solid #d1d9e0; border-radius: 6px; padding: 6px 12px; margin: 8px 0; }
details.project .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 16px; margin-top: 8px; }
h3 { font-size: 14px; margin: 14px 0 4px; }
</style>
</head>
<body>
<h1>EVS snapshot fleet report</h1>
<div class="sub">Generated ${html(report.generatedAt)} from the last complete scan of each project.</div>
<div class="cards">
<div class="card" id="total-projects">projects<b>${int(t.projects)}</b></div>
<div class="card" id="total-snapshots">snapshots<b>${int(t.snapshots)}</b></div>
<div class="card" id="total-gb">snapshot storage<b>${gbText(t.gb)}</b></div>
<div class="card" id="flagged-gb">flagged by the policy<b>${gbText(flaggedGb)}</b></div>
<div class="card" id="unneeded-gb">stale or orphaned<b>${gbText(unneededGb)}</b></div>
</div>
<div class="charts">
<div class="chart"><canvas id="chart-status" aria-label="GB by status"></canvas></div>
<div class="chart"><canvas id="chart-age" aria-label="Snapshots and GB by age"></canvas></div>
<div class="chart"><canvas id="chart-findings" aria-label="Findings by type"></canvas></div>
<div class="chart"><canvas id="chart-projects" aria-label="GB per project"></canvas></div>
</div>
<h2>Projects</h2>
<table id="projects"><thead><tr><th>target</th><th>region</th><th>project</th><th>scanned</th><th>snapshots</th><th>size</th><th>findings</th><th>findings size</th></tr></thead><tbody>
${projectRows}
</tbody></table>
<h2>Findings by type</h2>
<table id="findings"><thead><tr><th>type</th><th>snapshots</th><th>size</th></tr></thead><tbody>
${findingRows}
</tbody></table>
<h2>Oldest snapshots</h2>
<table id="oldest"><thead>${snapshotHead}</thead><tbody>
${snapshotRows(t.oldest)}
</tbody></table>
<h2>Largest snapshots</h2>
<table id="largest"><thead>${snapshotHead}</thead><tbody>
${snapshotRows(t.largest)}
</tbody></table>
<h2>Each project</h2>
${projectDetails}
<script type="application/json" id="fleet-report">${data}</script>
<script>${chartJs}</script>
<script>
(function () {
  var report = JSON.parse(document.getElementById('fleet-report').textContent);
  var t = report.totals;
  var round = function (gb) { return Math.round(gb * 100) / 100; };
  var statuses = Object.keys(t.byStatus).sort(function (a, b) { return t.byStatus[b].gb - t.byStatus[a].gb || (a < b ? -1 : 1); });
  var types = ${JSON.stringify(FINDING_TYPES)};
  var cg = function (map, key) { return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : { count: 0, gb: 0 }; };
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  new Chart(document.getElementById('chart-status'), {
    type: 'bar',
    data: { labels: statuses, datasets: [{ label: 'GB', data: statuses.map(function (s) { return round(t.byStatus[s].gb); }), backgroundColor: '#0969da' }] },
    options: { plugins: { title: { display: true, text: 'Snapshot storage by status (GB)' }, legend: { display: false } } }
  });
  new Chart(document.getElementById('chart-age'), {
    type: 'bar',
    data: { labels: t.byAge.map(function (b) { return b.bucket; }), datasets: [
      { label: 'snapshots', data: t.byAge.map(function (b) { return b.count; }), backgroundColor: '#8250df', yAxisID: 'y' },
      { label: 'GB', data: t.byAge.map(function (b) { return round(b.gb); }), backgroundColor: '#bf8700', yAxisID: 'gb' }
    ] },
    options: { plugins: { title: { display: true, text: 'Age (days since created_at)' } }, scales: { y: { position: 'left', title: { display: true, text: 'snapshots' } }, gb: { position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'GB' } } } }
  });
  new Chart(document.getElementById('chart-findings'), {
    type: 'bar',
    data: { labels: types, datasets: [
      { label: 'snapshots', data: types.map(function (k) { return cg(t.byFindingType, k).count; }), backgroundColor: '#cf222e', yAxisID: 'y' },
      { label: 'GB', data: types.map(function (k) { return round(cg(t.byFindingType, k).gb); }), backgroundColor: '#fb8f44', yAxisID: 'gb' }
    ] },
    options: { plugins: { title: { display: true, text: 'Findings by type' } }, scales: { y: { position: 'left' }, gb: { position: 'right', grid: { drawOnChartArea: false } } } }
  });
  var flagged = function (p) { return types.reduce(function (n, k) { return n + cg(p.stats.byFindingType, k).gb; }, 0); };
  new Chart(document.getElementById('chart-projects'), {
    type: 'bar',
    data: { labels: report.projects.map(function (p) { return p.target + '/' + p.projectId.slice(0, 8); }), datasets: [
      { label: 'flagged GB', data: report.projects.map(function (p) { return round(flagged(p)); }), backgroundColor: '#cf222e' },
      { label: 'other GB', data: report.projects.map(function (p) { return round(p.stats.gb - flagged(p)); }), backgroundColor: '#2da44e' }
    ] },
    options: { indexAxis: 'y', plugins: { title: { display: true, text: 'Snapshot storage per project (GB)' } }, scales: { x: { stacked: true }, y: { stacked: true } } }
  });
})();
</script>
</body>
</html>
`;
}

/** The report in every format: JSON, CSV, HTML and OpenMetrics. */
export function renderReportFiles(report: FleetReport, chartJs: string): ReportFile[] {
  return [
    { name: 'fleet-report.json', body: `${JSON.stringify(report, null, 2)}\n`, contentType: 'application/json' },
    { name: 'fleet-report.csv', body: renderCsv(report), contentType: 'text/csv; charset=utf-8' },
    { name: 'fleet-report.html', body: renderHtml(report, chartJs), contentType: 'text/html; charset=utf-8' },
    { name: 'fleet-report.prom', body: renderOpenMetrics(report), contentType: 'application/openmetrics-text; version=1.0.0; charset=utf-8' },
  ];
}
