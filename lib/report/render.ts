import { createHash } from 'node:crypto';
// The report adds up snapshots: findings about volumes (UNPROTECTED_VOLUME) are the summary's and the findings API's.
import { SNAPSHOT_FINDING_TYPES as FINDING_TYPES } from '../domain/finding';
import { formatMoney, monthlyCost, roundMoney } from '../pricing/prices';
import type { CountGb } from '../scan/stats';
import type { FleetReport, FleetSnapshotBrief, MoneyRow } from './fleet';

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
    // Money when priced: an upper bound, computed from size.
    ...(report.money ? ['currency', 'cost_per_month_upper_bound', 'flagged_cost_per_month_upper_bound'] : []),
  ];
  const m = report.money;
  const moneyOf = new Map((m?.byProject ?? []).map((row) => [`${row.target}/${row.projectId}`, row]));
  const moneyCells = (row: MoneyRow | undefined) =>
    m ? [m.currency, roundMoney(row?.perMonth ?? 0), roundMoney(row?.flaggedPerMonth ?? 0)] : [];
  const row = (
    id: { target: string; region: string; projectId: string; scannedAt: string },
    money: MoneyRow | undefined,
    s: {
      snapshots: number;
      gb: number;
      byStatus: Record<string, CountGb>;
      byAge: Array<{ bucket: string } & CountGb>;
      byFindingType: Record<string, CountGb>;
      oldest: Array<{ ageDays: number | null }>;
      largest: Array<{ sizeGb: number }>;
    },
  ) => [
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
    ...moneyCells(money),
  ];
  const lines = [
    header,
    ...report.projects.map((p) => row(p, moneyOf.get(`${p.target}/${p.projectId}`), p.stats)),
    row({ target: 'TOTAL', region: '', projectId: '', scannedAt: report.generatedAt }, m, report.totals),
  ];
  return `${lines.map((l) => l.map(cell).join(',')).join('\r\n')}\r\n`;
}

/** An OpenMetrics label value: backslash, quote and newline escaped (the only three the format escapes). */
const label = (value: string) => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

/** Cinder's and EVS's `size` is in GiB: Prometheus wants base units. */
export const BYTES_PER_GB = 1_073_741_824;

/**
 * The same counts as OpenMetrics gauges, for teams that scrape Prometheus (e.g. from the bucket
 * through a textfile collector). Sizes in bytes; label names as openstack-exporter's where they
 * mean the same (`tenant_id`, `status`); money in a gauge of its own with a `currency` label.
 */
export function renderOpenMetrics(report: FleetReport): string {
  type Family = { name: string; help: string; unit?: string; samples: string[] };
  const family = (name: string, help: string, unit?: string): Family => ({
    name,
    help,
    ...(unit ? { unit } : {}),
    samples: [],
  });
  const snapshots = family('evs_snapshots', 'Snapshots by status at the last complete scan.');
  const bytes = family(
    'evs_snapshot_size_bytes',
    "Snapshot size (the source disk's size, GiB in bytes) by status at the last complete scan.",
    'bytes',
  );
  const ages = family('evs_snapshots_by_age', 'Snapshots by age bucket (days since created_at).');
  const findings = family('evs_snapshot_findings', 'Snapshots the policy flags, by finding type.');
  const findingBytes = family(
    'evs_snapshot_finding_size_bytes',
    'Size of the snapshots the policy flags, by finding type.',
    'bytes',
  );
  const ownerBytes = family(
    'evs_snapshot_owner_size_bytes',
    'Snapshot size by owner (metadata key, else the project\'s owner, else unowned); flagged="true" for the flagged ones.',
    'bytes',
  );
  const cost = family(
    'evs_snapshot_monthly_cost',
    'Monthly cost of the snapshots at the configured prices, an upper bound priced from size; flagged="true": saved per month if the flagged ones were removed.',
  );
  const scanned = family(
    'evs_project_last_scan_timestamp_seconds',
    'When the project was last scanned completely.',
    'seconds',
  );
  const money = new Map((report.money?.byProject ?? []).map((m) => [`${m.target}/${m.projectId}`, m]));
  for (const p of report.projects) {
    const where = `target="${label(p.target)}",region="${label(p.region)}",tenant_id="${label(p.projectId)}"`;
    for (const [status, v] of Object.entries(p.stats.byStatus)) {
      snapshots.samples.push(`evs_snapshots{${where},status="${label(status)}"} ${v.count}`);
      bytes.samples.push(`evs_snapshot_size_bytes{${where},status="${label(status)}"} ${v.gb * BYTES_PER_GB}`);
    }
    for (const b of p.stats.byAge)
      ages.samples.push(`evs_snapshots_by_age{${where},bucket="${label(b.bucket)}"} ${b.count}`);
    for (const type of FINDING_TYPES) {
      const v = Object.hasOwn(p.stats.byFindingType, type) ? (p.stats.byFindingType[type] as CountGb) : zero;
      findings.samples.push(`evs_snapshot_findings{${where},finding_type="${type}"} ${v.count}`);
      findingBytes.samples.push(
        `evs_snapshot_finding_size_bytes{${where},finding_type="${type}"} ${v.gb * BYTES_PER_GB}`,
      );
    }
    for (const [owner, o] of Object.entries(p.stats.byOwner ?? {})) {
      const sum = (m: Record<string, CountGb>) => Object.values(m).reduce((n, v) => n + v.gb, 0);
      ownerBytes.samples.push(
        `evs_snapshot_owner_size_bytes{${where},owner="${label(owner)}",flagged="false"} ${(sum(o.byStatus) - sum(o.flaggedByStatus)) * BYTES_PER_GB}`,
      );
      ownerBytes.samples.push(
        `evs_snapshot_owner_size_bytes{${where},owner="${label(owner)}",flagged="true"} ${sum(o.flaggedByStatus) * BYTES_PER_GB}`,
      );
    }
    const m = money.get(`${p.target}/${p.projectId}`);
    if (m && report.money) {
      const currency = `currency="${label(report.money.currency)}"`;
      cost.samples.push(
        `evs_snapshot_monthly_cost{${where},${currency},flagged="false"} ${round(m.perMonth - m.flaggedPerMonth)}`,
      );
      cost.samples.push(`evs_snapshot_monthly_cost{${where},${currency},flagged="true"} ${round(m.flaggedPerMonth)}`);
    }
    scanned.samples.push(`evs_project_last_scan_timestamp_seconds{${where}} ${Date.parse(p.scannedAt) / 1000}`);
  }
  const removedCount = family(
    'evs_cleanup_removed_snapshots',
    'Snapshots cleanup deleted (confirmed) per calendar month, UTC.',
  );
  const removedBytes = family(
    'evs_cleanup_removed_size_bytes',
    'Size of the snapshots cleanup deleted per calendar month (their size as last seen).',
    'bytes',
  );
  const removedCost = family(
    'evs_cleanup_removed_monthly_cost',
    'What the snapshots cleanup deleted in a calendar month cost per month at the configured prices, an upper bound priced from size.',
  );
  for (const r of report.removed?.months ?? []) {
    removedCount.samples.push(`evs_cleanup_removed_snapshots{month="${r.month}"} ${r.count}`);
    removedBytes.samples.push(`evs_cleanup_removed_size_bytes{month="${r.month}"} ${r.gb * BYTES_PER_GB}`);
    if (report.money && r.savedPerMonth !== undefined)
      removedCost.samples.push(
        `evs_cleanup_removed_monthly_cost{month="${r.month}",currency="${label(report.money.currency)}"} ${round(r.savedPerMonth)}`,
      );
  }
  const out: string[] = [];
  for (const f of [
    snapshots,
    bytes,
    ages,
    findings,
    findingBytes,
    ownerBytes,
    cost,
    scanned,
    removedCount,
    removedBytes,
    removedCost,
  ]) {
    if (f === cost && !report.money) continue;
    if ((f === removedCount || f === removedBytes) && !report.removed) continue;
    if (f === removedCost && !(report.removed && report.money)) continue;
    out.push(`# TYPE ${f.name} gauge`, `# HELP ${f.name} ${f.help}`);
    if (f.unit) out.push(`# UNIT ${f.name} ${f.unit}`);
    out.push(...f.samples);
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

/** Text for HTML: the five characters that could open markup, escaped. */
const html = (value: string | number | null) =>
  String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

const gbText = (gb: number) => `${round(gb).toLocaleString('en-US')} GB`;
const int = (n: number) => n.toLocaleString('en-US');

/** A font stack with CJK faces, so Chinese, Japanese and Korean names render where the viewer has them. */
export const FONT_STACK =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Hiragino Kaku Gothic ProN", "Yu Gothic", "Malgun Gothic", sans-serif';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');

/** How many owners the owner chart and the per-owner trend name (the rest are "others"). */
const CHART_OWNERS = 8;

/**
 * A self-contained HTML page: the report's JSON embedded once, Chart.js inlined (no network), the
 * charts drawn from that JSON in the page, and the tables written here. `chartJs` is the library's
 * UMD build (lib/report/chart-source.ts). A Content-Security-Policy lets only those two scripts run
 * (by hash): whatever a snapshot's name holds, no other script runs, even if escaping were missed.
 */
export function renderHtml(report: FleetReport, chartJs: string): string {
  const t = report.totals;
  const m = report.money;
  const money = (amount: number | undefined) =>
    m && amount !== undefined ? html(formatMoney(m.currency, amount)) : '';
  const projectMoney = new Map((m?.byProject ?? []).map((row) => [`${row.target}/${row.projectId}`, row]));
  const flaggedGb = Object.values(t.byFindingType).reduce((n, v) => n + v.gb, 0);
  const unneededGb = ['STALE', 'ORPHANED'].reduce(
    (n, type) => n + (Object.hasOwn(t.byFindingType, type) ? (t.byFindingType[type] as CountGb).gb : 0),
    0,
  );
  const moneyHead = (what: string) => (m ? `<th>${what} per month</th><th>flagged per month</th>` : '');
  const moneyCells = (row: MoneyRow | undefined) =>
    m ? `<td class="n">${money(row?.perMonth ?? 0)}</td><td class="n">${money(row?.flaggedPerMonth ?? 0)}</td>` : '';
  const projectRows = report.projects
    .map((p) => {
      const findings = Object.values(p.stats.byFindingType).reduce(
        (n, v) => ({ count: n.count + v.count, gb: n.gb + v.gb }),
        { count: 0, gb: 0 },
      );
      return `<tr><td>${html(p.target)}</td><td>${html(p.region)}</td><td><code>${html(p.projectId)}</code></td><td>${html(p.scannedAt)}</td><td class="n">${int(p.stats.snapshots)}</td><td class="n">${gbText(p.stats.gb)}</td><td class="n">${int(findings.count)}</td><td class="n">${gbText(findings.gb)}</td>${moneyCells(projectMoney.get(`${p.target}/${p.projectId}`))}</tr>`;
    })
    .join('\n');
  const snapshotRows = (list: FleetSnapshotBrief[]) =>
    list
      .map(
        (s) =>
          `<tr><td><code>${html(s.id)}</code></td><td>${html(s.name)}</td><td>${html(s.status)}</td><td class="n">${gbText(s.sizeGb)}</td><td>${html(s.createdAt)}</td><td class="n">${html(s.ageDays)}</td><td>${html(s.findingType ?? '')}</td><td><code>${html(s.projectId)}</code></td><td>${html(s.owner ?? '')}</td>${m ? `<td class="n">${money(s.monthlyCost)}</td>` : ''}</tr>`,
      )
      .join('\n');
  const findingRows = FINDING_TYPES.map((type) => {
    const v = Object.hasOwn(t.byFindingType, type) ? (t.byFindingType[type] as CountGb) : zero;
    return `<tr><td>${type}</td><td class="n">${int(v.count)}</td><td class="n">${gbText(v.gb)}</td>${m ? `<td class="n">${money(m.byFindingType[type] ?? 0)}</td>` : ''}</tr>`;
  }).join('\n');
  const owners = Object.entries(t.byOwner);
  const ownerRows = owners
    .map(
      ([owner, o]) =>
        `<tr><td>${html(owner)}</td><td class="n">${int(o.count)}</td><td class="n">${gbText(o.gb)}</td><td class="n">${int(o.flaggedCount)}</td><td class="n">${gbText(o.flaggedGb)}</td>${moneyCells(m?.byOwner[owner])}</tr>`,
    )
    .join('\n');
  const targetRows = m
    ? Object.entries(m.byTarget)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([target, row]) => `<tr><td>${html(target)}</td>${moneyCells(row)}</tr>`)
        .join('\n')
    : '';
  const snapshotHead = `<tr><th>snapshot</th><th>name</th><th>status</th><th>size</th><th>created</th><th>age (days)</th><th>finding</th><th>project</th><th>owner</th>${m ? '<th>per month</th>' : ''}</tr>`;
  const countRows = (rows: Array<[string, CountGb]>) =>
    rows
      .map(
        ([k, v]) => `<tr><td>${html(k)}</td><td class="n">${int(v.count)}</td><td class="n">${gbText(v.gb)}</td></tr>`,
      )
      .join('');
  const countTable = (title: string, rows: Array<[string, CountGb]>) =>
    `<table><thead><tr><th>${title}</th><th>snapshots</th><th>size</th></tr></thead><tbody>${countRows(rows)}</tbody></table>`;
  const projectDetails = report.projects
    .map((p) => {
      const own = (list: typeof p.stats.oldest) =>
        snapshotRows(
          list.map((b) => ({
            ...b,
            target: p.target,
            projectId: p.projectId,
            ...(m
              ? {
                  monthlyCost: monthlyCost(
                    m.prices,
                    { target: p.target, region: p.region, status: b.status },
                    b.sizeGb,
                  ),
                }
              : {}),
          })),
        );
      return `<details class="project" data-project="${html(p.projectId)}"><summary>${html(p.target)} / <code>${html(p.projectId)}</code> (${html(p.region)}): ${int(p.stats.snapshots)} snapshots, ${gbText(p.stats.gb)}</summary>
<div class="grid">${countTable(
        'status',
        Object.entries(p.stats.byStatus).sort(([, a], [, b]) => b.gb - a.gb),
      )}${countTable(
        'age',
        p.stats.byAge.map((b) => [b.bucket, b]),
      )}${countTable(
        'finding',
        FINDING_TYPES.map((type) => [
          type,
          Object.hasOwn(p.stats.byFindingType, type) ? (p.stats.byFindingType[type] as CountGb) : zero,
        ]),
      )}</div>
<h3>Oldest</h3><table><thead>${snapshotHead}</thead><tbody>${own(p.stats.oldest)}</tbody></table>
<h3>Largest</h3><table><thead>${snapshotHead}</thead><tbody>${own(p.stats.largest)}</tbody></table>
</details>`;
    })
    .join('\n');
  const points = report.trend ?? [];
  const moneyNote = m
    ? `<p class="note" id="money-note"><b>Amounts are upper bounds.</b> Each is a snapshot's <code>size</code> (the GB of the disk it was taken from) times the price per GB-month of the price file${m.note ? ` (${html(m.note)})` : ''}, in ${html(m.currency)}. The snapshot list API of EVS and Cinder returns no figure of the storage a snapshot really uses; the incremental storage a cloud bills is usually smaller.</p>`
    : '<p class="note" id="money-note">No prices configured, so no money is shown: give a price file (<code>npm run report -- --prices FILE</code>, or <code>PRICES_FILE</code> when deployed).</p>';
  const removed = report.removed;
  const removedTotal = (removed?.months ?? []).reduce(
    (n, r) => ({ count: n.count + r.count, gb: n.gb + r.gb, saved: n.saved + (r.savedPerMonth ?? 0) }),
    { count: 0, gb: 0, saved: 0 },
  );
  const removedSection = removed
    ? `<h2>Removed by cleanup</h2>
<p class="note" id="removed-note">Snapshots the cleanup deleted and saw deleting or gone afterwards, per calendar month (UTC) since ${html(removed.since.slice(0, 10))}, at their size as last seen; refused and failed deletes are not counted.${m ? ' What they save per month is an upper bound, priced like the amounts above.' : ''}</p>
<div class="charts"><div class="chart"><canvas id="chart-removed" aria-label="GB removed per month"></canvas></div></div>
<table id="removed"><thead><tr><th>month</th><th>snapshots</th><th>size</th>${m ? '<th>saves per month, at most</th>' : ''}</tr></thead><tbody>
${removed.months.map((r) => `<tr><td>${html(r.month)}</td><td class="n">${int(r.count)}</td><td class="n">${gbText(r.gb)}</td>${m ? `<td class="n">${money(r.savedPerMonth ?? 0)}</td>` : ''}</tr>`).join('\n')}
<tr class="total"><td>total</td><td class="n">${int(removedTotal.count)}</td><td class="n">${gbText(removedTotal.gb)}</td>${m ? `<td class="n">${money(removedTotal.saved)}</td>` : ''}</tr>
</tbody></table>`
    : '';
  const trendNote =
    points.length < 2
      ? `<p class="note" id="trend-note">${points.length} report run${points.length === 1 ? '' : 's'} kept so far: the trend draws from the second run on.</p>`
      : '';
  // JSON inside <script>: `<` escaped so no string in it can close the element.
  const data = JSON.stringify(report).replaceAll('<', '\\u003c');
  const script = pageScript();
  const csp = `default-src 'none'; script-src 'sha256-${sha256(chartJs)}' 'sha256-${sha256(script)}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${html(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>EVS snapshot fleet report ${html(report.generatedAt)}</title>
<style>
body { font: 14px/1.45 ${FONT_STACK}; margin: 24px; color: #1f2328; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.sub { color: #59636e; margin-bottom: 16px; } .note { color: #59636e; max-width: 980px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 20px; }
.card { border: 1px solid #d1d9e0; border-radius: 6px; padding: 10px 14px; min-width: 150px; }
.card b { display: block; font-size: 20px; } .card.money b { color: #9a6700; }
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
${
  m
    ? `<div class="card money" id="cost-month">snapshots cost per month, at most<b>${money(m.perMonth)}</b></div>
<div class="card money" id="saved-month">saved per month if the flagged ones were removed, at most<b>${money(m.flaggedPerMonth)}</b></div>`
    : ''
}
</div>
${moneyNote}
<h2>Over time</h2>
${trendNote}
<div class="charts" id="trends">
<div class="chart"><canvas id="chart-trend-size" aria-label="Snapshots and GB over time"></canvas></div>
${m || points.some((p) => p.perMonth !== undefined) ? '<div class="chart"><canvas id="chart-trend-money" aria-label="Monthly cost over time"></canvas></div>' : ''}
<div class="chart"><canvas id="chart-trend-findings" aria-label="Open findings by type over time"></canvas></div>
<div class="chart"><canvas id="chart-trend-changes" aria-label="New and resolved findings per day"></canvas></div>
<div class="chart"><canvas id="chart-trend-owners" aria-label="Flagged GB per owner over time"></canvas></div>
</div>
<h2>Now</h2>
<div class="charts">
<div class="chart"><canvas id="chart-status" aria-label="GB by status"></canvas></div>
<div class="chart"><canvas id="chart-age" aria-label="Snapshots and GB by age"></canvas></div>
<div class="chart"><canvas id="chart-findings" aria-label="Findings by type"></canvas></div>
<div class="chart"><canvas id="chart-projects" aria-label="GB per project"></canvas></div>
<div class="chart"><canvas id="chart-owners" aria-label="GB per owner"></canvas></div>
</div>
<h2>Projects</h2>
<table id="projects"><thead><tr><th>target</th><th>region</th><th>project</th><th>scanned</th><th>snapshots</th><th>size</th><th>findings</th><th>findings size</th>${moneyHead('cost')}</tr></thead><tbody>
${projectRows}
</tbody></table>
${
  m
    ? `<h2>Targets</h2>
<table id="targets"><thead><tr><th>target</th>${moneyHead('cost')}</tr></thead><tbody>
${targetRows}
</tbody></table>`
    : ''
}
<h2>Findings by type</h2>
<table id="findings"><thead><tr><th>type</th><th>snapshots</th><th>size</th>${m ? '<th>saved per month if removed</th>' : ''}</tr></thead><tbody>
${findingRows}
</tbody></table>
${removedSection}
<h2>Owners</h2>
<p class="note">The owner is a snapshot's owner metadata, else its project's owner in the targets file, else unowned.</p>
<table id="owners"><thead><tr><th>owner</th><th>snapshots</th><th>size</th><th>flagged</th><th>flagged size</th>${moneyHead('cost')}</tr></thead><tbody>
${ownerRows}
</tbody></table>
<h2>Largest flagged snapshots</h2>
<table id="largest-flagged"><thead>${snapshotHead}</thead><tbody>
${snapshotRows(t.largestFlagged)}
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
<script>${script}</script>
</body>
</html>
`;
}

/** The page's own script: every chart drawn from the embedded JSON. Fixed text, so its hash is stable. */
function pageScript(): string {
  return `
(function () {
  var report = JSON.parse(document.getElementById('fleet-report').textContent);
  var t = report.totals;
  var round = function (gb) { return Math.round(gb * 100) / 100; };
  var statuses = Object.keys(t.byStatus).sort(function (a, b) { return t.byStatus[b].gb - t.byStatus[a].gb || (a < b ? -1 : 1); });
  var types = ${JSON.stringify(FINDING_TYPES)};
  var colors = ['#cf222e', '#bf8700', '#8250df', '#0969da', '#1a7f37', '#fb8f44', '#e85aad', '#6e7781', '#116329'];
  var has = function (map, key) { return Object.prototype.hasOwnProperty.call(map, key); };
  var cg = function (map, key) { return has(map, key) ? map[key] : { count: 0, gb: 0 }; };
  var canvas = function (id) { return document.getElementById(id); };
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = ${JSON.stringify(FONT_STACK)};
  new Chart(canvas('chart-status'), {
    type: 'bar',
    data: { labels: statuses, datasets: [{ label: 'GB', data: statuses.map(function (s) { return round(t.byStatus[s].gb); }), backgroundColor: '#0969da' }] },
    options: { plugins: { title: { display: true, text: 'Snapshot storage by status (GB)' }, legend: { display: false } } }
  });
  new Chart(canvas('chart-age'), {
    type: 'bar',
    data: { labels: t.byAge.map(function (b) { return b.bucket; }), datasets: [
      { label: 'snapshots', data: t.byAge.map(function (b) { return b.count; }), backgroundColor: '#8250df', yAxisID: 'y' },
      { label: 'GB', data: t.byAge.map(function (b) { return round(b.gb); }), backgroundColor: '#bf8700', yAxisID: 'gb' }
    ] },
    options: { plugins: { title: { display: true, text: 'Age (days since created_at)' } }, scales: { y: { position: 'left', title: { display: true, text: 'snapshots' } }, gb: { position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'GB' } } } }
  });
  new Chart(canvas('chart-findings'), {
    type: 'bar',
    data: { labels: types, datasets: [
      { label: 'snapshots', data: types.map(function (k) { return cg(t.byFindingType, k).count; }), backgroundColor: '#cf222e', yAxisID: 'y' },
      { label: 'GB', data: types.map(function (k) { return round(cg(t.byFindingType, k).gb); }), backgroundColor: '#fb8f44', yAxisID: 'gb' }
    ] },
    options: { plugins: { title: { display: true, text: 'Findings by type' } }, scales: { y: { position: 'left' }, gb: { position: 'right', grid: { drawOnChartArea: false } } } }
  });
  var flagged = function (p) { return types.reduce(function (n, k) { return n + cg(p.stats.byFindingType, k).gb; }, 0); };
  new Chart(canvas('chart-projects'), {
    type: 'bar',
    data: { labels: report.projects.map(function (p) { return p.target + '/' + p.projectId.slice(0, 8); }), datasets: [
      { label: 'flagged GB', data: report.projects.map(function (p) { return round(flagged(p)); }), backgroundColor: '#cf222e' },
      { label: 'other GB', data: report.projects.map(function (p) { return round(p.stats.gb - flagged(p)); }), backgroundColor: '#2da44e' }
    ] },
    options: { indexAxis: 'y', plugins: { title: { display: true, text: 'Snapshot storage per project (GB)' } }, scales: { x: { stacked: true }, y: { stacked: true } } }
  });
  var owners = Object.keys(t.byOwner).slice(0, ${CHART_OWNERS * 2});
  new Chart(canvas('chart-owners'), {
    type: 'bar',
    data: { labels: owners, datasets: [
      { label: 'flagged GB', data: owners.map(function (o) { return round(t.byOwner[o].flaggedGb); }), backgroundColor: '#cf222e' },
      { label: 'other GB', data: owners.map(function (o) { return round(t.byOwner[o].gb - t.byOwner[o].flaggedGb); }), backgroundColor: '#2da44e' }
    ] },
    options: { indexAxis: 'y', plugins: { title: { display: true, text: 'Snapshot storage per owner (GB)' } }, scales: { x: { stacked: true }, y: { stacked: true } } }
  });

  var points = report.trend || [];
  var at = points.map(function (p) { return p.at.slice(0, 19).replace('T', ' '); });
  var line = function (label, data, color, axis) { return { label: label, data: data, borderColor: color, backgroundColor: color, yAxisID: axis || 'y', tension: 0, pointRadius: 3 }; };
  new Chart(canvas('chart-trend-size'), {
    type: 'line',
    data: { labels: at, datasets: [
      line('snapshots', points.map(function (p) { return p.snapshots; }), '#8250df', 'y'),
      line('GB', points.map(function (p) { return round(p.gb); }), '#0969da', 'gb'),
      line('flagged GB', points.map(function (p) { return round(p.flaggedGb); }), '#cf222e', 'gb')
    ] },
    options: { plugins: { title: { display: true, text: 'Snapshots and GB over time' } }, scales: { y: { position: 'left', title: { display: true, text: 'snapshots' } }, gb: { position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'GB' } } } }
  });
  if (canvas('chart-trend-money')) {
    var currency = (report.money && report.money.currency) || '';
    var amount = function (v) { return v === undefined ? null : round(v); };
    new Chart(canvas('chart-trend-money'), {
      type: 'line',
      data: { labels: at, datasets: [
        line('all snapshots', points.map(function (p) { return p.currency === currency ? amount(p.perMonth) : null; }), '#9a6700'),
        line('flagged (saved if removed)', points.map(function (p) { return p.currency === currency ? amount(p.flaggedPerMonth) : null; }), '#cf222e')
      ] },
      options: { plugins: { title: { display: true, text: 'Cost per month, at most (' + currency + ')' } }, scales: { y: { beginAtZero: true } } }
    });
  }
  if (report.removed && canvas('chart-removed')) {
    var months = report.removed.months;
    var removedSets = [{ label: 'GB removed', data: months.map(function (r) { return round(r.gb); }), backgroundColor: '#1a7f37', yAxisID: 'y' }];
    if (report.money) removedSets.push({ label: 'saves per month, at most (' + report.money.currency + ')', data: months.map(function (r) { return r.savedPerMonth === undefined ? null : round(r.savedPerMonth); }), backgroundColor: '#9a6700', yAxisID: 'money' });
    new Chart(canvas('chart-removed'), {
      type: 'bar',
      data: { labels: months.map(function (r) { return r.month; }), datasets: removedSets },
      options: { plugins: { title: { display: true, text: 'Removed by cleanup per month' } }, scales: { y: { position: 'left', beginAtZero: true, title: { display: true, text: 'GB' } }, money: { display: !!report.money, position: 'right', beginAtZero: true, grid: { drawOnChartArea: false } } } }
    });
  }
  var seenTypes = types.slice();
  points.forEach(function (p) { Object.keys(p.openByType).forEach(function (k) { if (seenTypes.indexOf(k) < 0) seenTypes.push(k); }); });
  new Chart(canvas('chart-trend-findings'), {
    type: 'line',
    data: { labels: at, datasets: seenTypes.map(function (k, i) { return line(k, points.map(function (p) { return has(p.openByType, k) ? p.openByType[k] : 0; }), colors[i % colors.length]); }) },
    options: { plugins: { title: { display: true, text: 'Open findings by type' } } }
  });
  var days = {};
  points.forEach(function (p) {
    if (p.opened === null || p.resolved === null) return;
    var d = p.at.slice(0, 10);
    if (!has(days, d)) days[d] = { opened: 0, resolved: 0 };
    days[d].opened += p.opened; days[d].resolved += p.resolved;
  });
  var dayKeys = Object.keys(days).sort();
  new Chart(canvas('chart-trend-changes'), {
    type: 'bar',
    data: { labels: dayKeys, datasets: [
      { label: 'new', data: dayKeys.map(function (d) { return days[d].opened; }), backgroundColor: '#cf222e' },
      { label: 'resolved', data: dayKeys.map(function (d) { return days[d].resolved; }), backgroundColor: '#1a7f37' }
    ] },
    options: { plugins: { title: { display: true, text: 'New and resolved findings per day' } } }
  });
  var last = points.length ? points[points.length - 1].flaggedGbByOwner : {};
  var ranked = Object.keys(last).sort(function (a, b) { return last[b] - last[a] || (a < b ? -1 : 1); });
  points.forEach(function (p) { Object.keys(p.flaggedGbByOwner).forEach(function (o) { if (ranked.indexOf(o) < 0) ranked.push(o); }); });
  var named = ranked.slice(0, ${CHART_OWNERS});
  var ownerSets = named.map(function (o, i) { return line(o, points.map(function (p) { return round(has(p.flaggedGbByOwner, o) ? p.flaggedGbByOwner[o] : 0); }), colors[i % colors.length]); });
  if (ranked.length > named.length) ownerSets.push(line('others', points.map(function (p) { return round(Object.keys(p.flaggedGbByOwner).reduce(function (n, o) { return named.indexOf(o) < 0 ? n + p.flaggedGbByOwner[o] : n; }, 0)); }), '#6e7781'));
  new Chart(canvas('chart-trend-owners'), {
    type: 'line',
    data: { labels: at, datasets: ownerSets },
    options: { plugins: { title: { display: true, text: 'Flagged GB per owner' } } }
  });
})();
`;
}

/** The report in every format: JSON, CSV, HTML and OpenMetrics. */
export function renderReportFiles(report: FleetReport, chartJs: string): ReportFile[] {
  return [
    // The trend lives in history/trend.json; the JSON (also copied under history/ each run) leaves it out.
    {
      name: 'fleet-report.json',
      body: `${JSON.stringify({ ...report, trend: undefined }, null, 2)}\n`,
      contentType: 'application/json',
    },
    { name: 'fleet-report.csv', body: renderCsv(report), contentType: 'text/csv; charset=utf-8' },
    { name: 'fleet-report.html', body: renderHtml(report, chartJs), contentType: 'text/html; charset=utf-8' },
    {
      name: 'fleet-report.prom',
      body: renderOpenMetrics(report),
      contentType: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
    },
  ];
}
