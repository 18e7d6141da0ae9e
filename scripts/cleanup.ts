/**
 * One scan with the cleanup step, against the current environment (the settings of `npm run
 * scan`, FINDINGS_TABLE for state): `npm run cleanup -- [--dry-run] [--policy FILE]`. The scan
 * runs first so the findings are current, then the cleanup marks and deletes (docs/cleanup.md).
 * `--dry-run` reads everything, prints each planned action with its reason on stdout, and
 * changes nothing: no scan state, no mark, no delete, no event. Without it, CLEANUP_ENABLED=true
 * must say that deleting was meant. Exits 1 when a project failed or a delete failed or a brake
 * held, 2 on bad configuration.
 */
import { parseArgs } from 'node:util';
import type { CleanupFields } from '../lib/cleanup/decide';
import { ConfigError } from '../lib/config/env';
import { DETAIL_TYPES, type FindingDetail } from '../lib/events/contract';
import { createPrintingSink } from '../lib/scan/dry-run';
import { formatScanTable } from '../lib/scan/report';
import { buildCleanup } from '../lib/wiring/cleanup';
import { buildScanner } from '../lib/wiring/scanner';
import { loadCleanupSettings } from '../lib/wiring/settings/cleanup';

const { values } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    policy: { type: 'string' },
    'timeout-seconds': { type: 'string', default: '840' },
  },
});
const dryRun = values['dry-run'];
const fail = (message: string): never => {
  process.stderr.write(`configuration error: ${message}\n`);
  process.exit(2);
};

const settings = (() => {
  try {
    return loadCleanupSettings(
      values.policy === undefined ? process.env : { ...process.env, SCAN_POLICY_FILE: values.policy },
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return fail(error.message);
  }
})();
if (!dryRun && !settings.enabled)
  fail(
    'CLEANUP_ENABLED is not true: set it to let this run mark and delete snapshots, or use --dry-run to see what it would do',
  );

const deadline = Date.now() + Number(values['timeout-seconds']) * 1000;
// A dry-run scan writes no findings; the ones it would open are planned as if it had.
const unrecorded = new Map<string, CleanupFields[]>();
const collect = (line: string) => {
  const event = JSON.parse(line) as { 'detail-type': string; detail: FindingDetail };
  const d = event.detail;
  if (
    event['detail-type'] !== DETAIL_TYPES.finding ||
    !d.snapshot ||
    (d.transition !== 'OPENED' && d.transition !== 'OBSERVED')
  )
    return;
  const list = unrecorded.get(d.projectId) ?? [];
  list.push({ projectId: d.projectId, findingId: d.findingId, snapshotId: d.snapshot.id, state: 'OPEN', rule: d.rule });
  unrecorded.set(d.projectId, list);
};
const scan = await buildScanner(
  settings.scan,
  dryRun ? { dryRun: true, createSink: () => createPrintingSink(collect) } : {},
)(deadline);
process.stderr.write(`${formatScanTable(scan)}\n`);
const run = await buildCleanup(settings, {
  dryRun,
  onAction: (line) => process.stdout.write(`${line}\n`),
  ...(dryRun ? { unrecorded: (projectId: string) => unrecorded.get(projectId) ?? [] } : {}),
})(deadline);
let problems = scan.ok ? 0 : 1;
for (const p of run.projects) {
  process.stderr.write(
    `${p.target}/${p.projectId}: ${p.marked} marked, ${p.deleted} ${dryRun ? 'would be deleted' : 'deleted'}, ${p.waiting} waiting, ${p.refused} refused, ${p.failed} failed${p.braked ? ', BRAKE' : ''}${p.error ? `, stopped: ${p.error}` : ''}\n`,
  );
  if (p.failed > 0 || p.braked || p.error) problems++;
}
if (!run.deletionsAllowed) process.stderr.write('the cleanup switch is off: no deletions\n');
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(problems === 0 ? 0 : 1);
