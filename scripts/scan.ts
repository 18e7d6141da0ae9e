/**
 * One scan with the current environment: `npm run scan` publishes to EventBridge (or to
 * AWS_ENDPOINT_URL_EVENTBRIDGE); `npm run scan -- --dry-run` prints the events as JSON lines on
 * stdout instead. `--target T` and `--project P` (each repeatable) scan only those, as the
 * on-demand invocation does. `--policy FILE` scans with that policy file instead of
 * SCAN_POLICY_FILE (with `--dry-run`: what a policy would flag, before it is deployed). Progress
 * and the summary table go to stderr. Exits 1 when a project failed or an event could not be
 * delivered, 2 on bad configuration or selection.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../lib/settings/env';
import { loadScanSettings } from '../lib/settings/scanner';
import { buildScanner } from '../lib/scan/build';
import { createPrintingSink } from '../lib/scan/dry-run';
import { formatRuleTally, formatScanTable } from '../lib/scan/report';

const { values } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    'timeout-seconds': { type: 'string', default: '840' },
    quiet: { type: 'boolean', default: false },
    target: { type: 'string', multiple: true, default: [] },
    project: { type: 'string', multiple: true, default: [] },
    policy: { type: 'string' },
  },
});

let config;
try {
  config = loadScanSettings(values.policy === undefined ? process.env : { ...process.env, SCAN_POLICY_FILE: values.policy });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`configuration error: ${error.message}\n`);
  process.exit(2);
}

const lastReport = new Map<string, number>();
if (!config.findingsTable) process.stderr.write('FINDINGS_TABLE is not set: stateless scan, every finding is reported as OBSERVED\n');
else if (values['dry-run']) process.stderr.write(`dry run: reading ${config.findingsTable}, writing nothing; the events printed are the transitions a real run would announce\n`);
const scan = buildScanner(config, {
  ...(values['dry-run'] ? { createSink: () => createPrintingSink((line) => process.stdout.write(`${line}\n`)), dryRun: true } : {}),
  onProgress: values.quiet
    ? undefined
    : ({ projectId, snapshotsRead, pagesRead }) => {
        const now = Date.now();
        if (now - (lastReport.get(projectId) ?? 0) < 1_000) return;
        lastReport.set(projectId, now);
        process.stderr.write(`… ${projectId}: ${snapshotsRead} snapshots in ${pagesRead} pages\n`);
      },
});

let result;
try {
  result = await scan(Date.now() + Number(values['timeout-seconds']) * 1000, { targets: values.target, projects: values.project });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`configuration error: ${error.message}\n`);
  process.exit(2);
}
process.stderr.write(`${formatScanTable(result)}\n`);
if (values['dry-run']) process.stderr.write(`${formatRuleTally(result, config.policy.document.rules)}\n`);
for (const p of result.projects) {
  for (const f of p.delivery.failed) process.stderr.write(`undelivered ${f.detailType} ${f.key}: ${f.errorCode}\n`);
}
// The run is accounted for; a socket left open by a hung upstream or bus must not keep the CLI
// alive. Exit only once what was written has been flushed.
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(result.ok ? 0 : 1);
