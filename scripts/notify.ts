/**
 * `npm run notify -- --dry-run [--routes FILE]`: scans the fleet as `npm run scan -- --dry-run`
 * does (nothing published, nothing written) and prints what each notification route would
 * receive: its digest as the terminal shows it, and the destinations it goes to. Without
 * `--routes`, NOTIFY_ROUTES_FILE or the default routes. `--check FILE` only checks a routes file
 * (packaging runs it). Exits 2 with the file, line and field on a bad routes file or setting.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../lib/config/env';
import type { ScannerEvent } from '../lib/notify/notifier';
import { previewDigests } from '../lib/notify/preview';
import { digestLines } from '../lib/notify/print';
import type { Routes } from '../lib/notify/routes';
import type { PriceList } from '../lib/pricing/prices';
import { createPrintingSink } from '../lib/scan/dry-run';
import { buildScanner } from '../lib/wiring/scanner';
import { loadNotifierSettings, readRoutesFile } from '../lib/wiring/settings/notifier';
import { loadScanSettings } from '../lib/wiring/settings/scanner';

const { values } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    routes: { type: 'string' },
    check: { type: 'string' },
    'plain-urls': { type: 'boolean', default: false },
    'timeout-seconds': { type: 'string', default: '840' },
    'max-lines': { type: 'string', default: '20' },
  },
});

const fail = (error: unknown): never => {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`configuration error: ${error.message}\n`);
  process.exit(2);
};

if (values.check !== undefined) {
  try {
    const routes = readRoutesFile(values.check, values['plain-urls'] ? {} : { AWS_LAMBDA_FUNCTION_NAME: 'notifier' });
    process.stdout.write(
      `${values.check}: ${routes.routes.length} routes, ${routes.routes.reduce((n, r) => n + r.destinations.length, 0)} destinations\n`,
    );
    process.exit(0);
  } catch (error) {
    fail(error);
  }
}
if (!values['dry-run']) {
  process.stderr.write('usage: npm run notify -- --dry-run [--routes FILE] | --check FILE\n');
  process.exit(2);
}

let routes: Routes;
let prices: PriceList | undefined;
let scanSettings: ReturnType<typeof loadScanSettings>;
try {
  ({ routes, prices } = loadNotifierSettings(
    values.routes === undefined ? process.env : { ...process.env, NOTIFY_ROUTES_FILE: values.routes },
  ));
  scanSettings = loadScanSettings(process.env);
} catch (error) {
  fail(error);
}
if (routes!.routes.length === 0)
  process.stderr.write(
    'no routes: without a routes file, set ALERT_WEBHOOK_URL (or ALERT_TOPIC_ARN) for the default routes\n',
  );

const events: ScannerEvent[] = [];
const scan = buildScanner(scanSettings!, {
  createSink: () => createPrintingSink((line) => events.push(JSON.parse(line) as ScannerEvent)),
  dryRun: true,
});
try {
  await scan(Date.now() + Number(values['timeout-seconds']) * 1000, {});
} catch (error) {
  fail(error);
}
const digests = previewDigests(routes!, events, Date.now(), prices);
for (const digest of digests) {
  const route = routes!.routes.find((r) => r.name === digest.route);
  const to = route?.destinations.map((d) => `${d.name} (${d.kind})`).join(', ') ?? '';
  const mode = route?.delivery.mode === 'digest' ? `digest every ${route.delivery.window}` : 'immediate';
  process.stdout.write(`${digestLines(digest, to, Number(values['max-lines'])).join('\n')}\n  (${mode})\n\n`);
}
process.stderr.write(
  `${events.length} scanner events; ${digests.length} of ${routes!.routes.length} routes would receive a message\n`,
);
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(0);
