/**
 * One measured run in a fresh process (bundled by bench/run.ts and run with plain node, as
 * Lambda would): `--mode scan` runs the real scanner (classify + publish to the local PutEvents
 * endpoint); `--mode classify` the same without PutEvents; `--mode stateful --table T` the real
 * scanner with its findings table (AWS_ENDPOINT_URL_DYNAMODB); `--mode bare` only pages through
 * the same listing; `--targets-file F` scans the targets of a targets file instead of the one
 * emulator (the fan-out benchmark's single invocation); `--policy F` scans with that policy file.
 * Prints one JSON line.
 */
import { parseArgs } from 'node:util';
import type { EventSink } from '../lib/scan/run-scan';
import { createFindingsStore } from '../lib/state/dynamo/findings-table';
import { nodeHttpTransport } from '../lib/upstream/transport';
import { buildScanner } from '../lib/wiring/scanner';
import { loadScanSettings } from '../lib/wiring/settings/scanner';

function createCountingSink(): EventSink {
  const stats = { calls: 0, published: 0, retriedEntries: 0, shrunk: 0, failed: [] };
  return {
    stats,
    async add() {
      stats.published++;
    },
    async flush() {},
  };
}

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    emulator: { type: 'string' },
    projects: { type: 'string' },
    table: { type: 'string' },
    'targets-file': { type: 'string' },
    concurrency: { type: 'string' },
    policy: { type: 'string' },
  },
});
const emulator = values.emulator as string;
const projects = (values.projects ?? '').split(',');
const targetsFile = values['targets-file'];

async function bare(): Promise<{ snapshots: number; pages: number }> {
  const transport = nodeHttpTransport();
  let snapshots = 0;
  let pages = 0;
  for (const project of projects) {
    let marker: string | undefined;
    for (;;) {
      const url = `${emulator}/v2/${project}/snapshots?limit=1000${marker ? `&marker=${marker}` : ''}`;
      const response = await transport.get(
        url,
        { 'X-Auth-Token': `admin:${project}`, Accept: 'application/json' },
        30_000,
      );
      const body = JSON.parse(response.body) as { snapshots: Array<{ id: string }>; snapshots_links?: unknown };
      pages++;
      snapshots += body.snapshots.length;
      if (body.snapshots.length === 0 || !body.snapshots_links) break;
      marker = body.snapshots[body.snapshots.length - 1]?.id;
    }
  }
  return { snapshots, pages };
}

async function scan(publish: boolean, table?: string) {
  const where = targetsFile
    ? { SCAN_TARGETS_FILE: targetsFile }
    : { EVS_ENDPOINT: emulator, EVS_AUTH: 'noauth', EVS_REGION: 'bench', SCAN_PROJECT_IDS: projects.join(',') };
  const config = loadScanSettings({
    ...where,
    SCAN_CONCURRENCY: values.concurrency,
    EVENT_BUS_NAME: 'bench',
    LOG_LEVEL: 'silent',
    EVENT_PUBLISH_CONCURRENCY: process.env.EVENT_PUBLISH_CONCURRENCY,
    FINDINGS_TABLE: table,
    SCAN_POLICY_FILE: values.policy,
  });
  // `classify` mode keeps everything but the PutEvents calls, to tell our cost from the SDK's.
  // Publishing through the client buildScanner makes itself, as the deployed scanner does.
  const overrides = publish ? {} : { createSink: () => createCountingSink() };
  const store = table ? createFindingsStore({ tableName: table }) : undefined;
  const result = await buildScanner(config, { ...overrides, ...(store ? { store } : {}) })(Date.now() + 900_000);
  return {
    ...(store ? { store: store.stats, transitions: result.projects[0]?.transitions } : {}),
    ok: result.ok,
    snapshots: result.projects.reduce((n, p) => n + p.snapshotsRead, 0),
    findings: result.projects.reduce((n, p) => n + Object.values(p.countsByFindingType).reduce((a, b) => a + b, 0), 0),
    putEventsCalls: result.projects.reduce((n, p) => n + p.delivery.calls, 0),
  };
}

const started = performance.now();
const outcome =
  values.mode === 'bare'
    ? await bare()
    : await scan(values.mode !== 'classify', values.mode === 'stateful' ? (values.table as string) : undefined);
const ms = performance.now() - started;
const cpu = process.cpuUsage();
process.stdout.write(
  `${JSON.stringify({ mode: values.mode, ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKb: process.resourceUsage().maxRSS, ...outcome })}\n`,
);
