/**
 * One scan with the current environment: `npm run scan` publishes to EventBridge (or to
 * AWS_ENDPOINT_URL_EVENTBRIDGE); `--dry-run` prints the events as JSON lines on stdout instead.
 * Progress and the summary table go to stderr. Options and exit codes: `--help`, docs/cli.md.
 */
import { EXIT, exitAfterFlush, failUsage, flag, integer, list, readCommandLine, text } from '../lib/cli/args';
import { ConfigError, RequestError } from '../lib/core/errors';
import { createPrintingSink } from '../lib/scan/dry-run';
import { formatRuleTally, formatScanTable } from '../lib/scan/report';
import { buildScanner } from '../lib/wiring/scanner';
import { loadScanSettings } from '../lib/wiring/settings/scanner';

const { values, json } = readCommandLine({
  name: 'scan',
  summary: 'Scans the configured projects once and publishes what the policy flags to EventBridge.',
  options: {
    'dry-run': flag(
      'print the events as JSON lines on stdout instead of publishing them; read the findings table, write nothing',
    ),
    'timeout-seconds': integer('SECONDS', 'stop listing after this long, as the Lambda would', {
      min: 1,
      max: 86_400,
      default: 840,
    }),
    quiet: flag('no progress lines on stderr'),
    target: list('TARGET', 'scan only this target'),
    project: list('PROJECT', 'scan only this project'),
    policy: text('FILE', 'scan with this policy file instead of SCAN_POLICY_FILE'),
  },
  notes: [
    "With --json, stdout holds one JSON document: the run's summary (and, with --dry-run, its events).",
    'Exit codes: 0 every project scanned and every event delivered; 1 a project failed or an event was not delivered; 2 bad option or configuration.',
  ],
});
const dryRun = values['dry-run'];
// A bad --target or --project is the caller's request, not configuration; both are exit 2 with one line, worded as before.
function configError(error: unknown): never {
  if (!(error instanceof ConfigError || error instanceof RequestError)) throw error;
  return failUsage('scan', `configuration error: ${error.message}`);
}

let config;
try {
  config = loadScanSettings(
    values.policy === undefined ? process.env : { ...process.env, SCAN_POLICY_FILE: values.policy },
  );
} catch (error) {
  configError(error);
}

const lastReport = new Map<string, number>();
if (!config.findingsTable)
  process.stderr.write('FINDINGS_TABLE is not set: stateless scan, every finding is reported as OBSERVED\n');
else if (dryRun)
  process.stderr.write(
    `dry run: reading ${config.findingsTable}, writing nothing; the events printed are the transitions a real run would announce\n`,
  );
// With --json the events join the summary document instead of being lines of their own.
const events: unknown[] = [];
const print = json
  ? (line: string) => void events.push(JSON.parse(line))
  : (line: string) => void process.stdout.write(`${line}\n`);
const scan = buildScanner(config, {
  ...(dryRun ? { createSink: () => createPrintingSink(print), dryRun: true } : {}),
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
  result = await scan(Date.now() + values['timeout-seconds'] * 1000, {
    targets: values.target,
    projects: values.project,
  });
} catch (error) {
  configError(error);
}
process.stderr.write(`${formatScanTable(result)}\n`);
if (values['dry-run']) process.stderr.write(`${formatRuleTally(result, config.policy.document.rules)}\n`);
for (const p of result.projects) {
  for (const f of p.delivery.failed) process.stderr.write(`undelivered ${f.detailType} ${f.key}: ${f.errorCode}\n`);
}
if (json) process.stdout.write(`${JSON.stringify(dryRun ? { ...result, events } : result)}\n`);
// The run is accounted for; a socket left open by a hung upstream or bus must not keep the CLI
// alive. Exit only once what was written has been flushed.
await exitAfterFlush(result.ok ? EXIT.ok : EXIT.problems);
