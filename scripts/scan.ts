/**
 * One scan with the current environment: `npm run scan` publishes to EventBridge (or to
 * AWS_ENDPOINT_URL_EVENTBRIDGE); `npm run scan -- --dry-run` prints the events as JSON lines on
 * stdout instead. Progress and the summary table go to stderr. Exits 1 when a project failed
 * or an event could not be delivered, 2 on bad configuration.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadScanConfig } from '../lib/config';
import { buildScanner } from '../lib/scan/build';
import { createPrintingSink } from '../lib/scan/dry-run';
import { formatScanTable } from '../lib/scan/report';

const { values } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    'timeout-seconds': { type: 'string', default: '840' },
    quiet: { type: 'boolean', default: false },
  },
});

let config;
try {
  config = loadScanConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`configuration error: ${error.message}\n`);
  process.exit(2);
}

const lastReport = new Map<string, number>();
const scan = buildScanner(config, {
  ...(values['dry-run'] ? { createSink: () => createPrintingSink((line) => process.stdout.write(`${line}\n`)) } : {}),
  onProgress: values.quiet
    ? undefined
    : ({ projectId, snapshotsRead, pagesRead }) => {
        const now = Date.now();
        if (now - (lastReport.get(projectId) ?? 0) < 1_000) return;
        lastReport.set(projectId, now);
        process.stderr.write(`… ${projectId}: ${snapshotsRead} snapshots in ${pagesRead} pages\n`);
      },
});

const result = await scan(Date.now() + Number(values['timeout-seconds']) * 1000);
process.stderr.write(`${formatScanTable(result)}\n`);
process.exitCode = result.ok ? 0 : 1;
