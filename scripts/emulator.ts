/**
 * Starts the EVS emulator on its own: `npm run emulator -- --port 8776 --seed demo --size 5000 --projects 2`.
 * Ages are built from the current time (or `--now 2026-12-01T12:00:00Z`), so the fleet's own
 * count of snapshots a scan should flag is right when the scan runs. Options and exit codes:
 * `--help`, docs/cli.md.
 */
import { EXIT, flag, integer, option, readCommandLine, text, UsageError } from '../lib/cli/args';
import { generateFleet } from '../tools/emulator/fleet';
import { startEmulator } from '../tools/emulator/server';

const { values, json } = readCommandLine({
  name: 'emulator',
  summary: 'Serves a seeded fleet of EVS snapshots over the Cinder/EVS list API on 127.0.0.1 until stopped.',
  options: {
    port: integer('PORT', 'the port (0: any free one)', { min: 0, max: 65_535, default: 8776 }),
    seed: text('SEED', "the fleet's random seed", { default: 'local' }),
    size: integer('N', 'snapshots in the fleet', { min: 1, max: 10_000_000, default: 5000 }),
    projects: option(
      'N|ID,ID',
      'how many projects, or their ids',
      (raw, name) => {
        if (/^\d+$/.test(raw) && Number(raw) >= 1) return Number(raw);
        const ids = raw.split(',');
        if (/^\d+$/.test(raw) || ids.some((id) => !/^[\w-]+$/.test(id)))
          throw new UsageError(
            `${name} must be a count of 1 or more or a comma-separated list of project ids, got "${raw}"`,
          );
        return ids;
      },
      { default: 2 as number | string[] },
    ),
    'max-limit': integer('N', 'the largest page the emulator serves', { min: 1, max: 100_000, default: 1000 }),
    auth: option(
      'MODE',
      "none, or noauth (Cinder's X-Auth-Token = user:project)",
      (raw, name) => {
        if (raw !== 'none' && raw !== 'noauth') throw new UsageError(`${name} must be none or noauth, got "${raw}"`);
        return raw;
      },
      { default: 'none' as 'none' | 'noauth' },
    ),
    now: option(
      'TIME',
      'age the fleet as of this ISO 8601 time',
      (raw, name) => {
        const t = Date.parse(raw);
        if (Number.isNaN(t)) throw new UsageError(`${name} must be an ISO 8601 time, got "${raw}"`);
        return t;
      },
      { default: Date.now(), text: 'now' },
    ),
    quiet: flag('no start-up lines on stderr'),
  },
  notes: [
    'With --json, stdout holds one JSON document once the emulator listens: its URL, the fleet and how many snapshots a scan should flag.',
    'Exit codes: 0 stopped by SIGINT or SIGTERM; 1 could not start (e.g. the port is taken); 2 bad option.',
  ],
});

const started = Date.now();
const fleet = generateFleet({ seed: values.seed, size: values.size, projects: values.projects, now: values.now });
let emulator;
try {
  emulator = await startEmulator({
    projects: fleet.projects,
    port: values.port,
    maxLimit: values['max-limit'],
    auth: { mode: values.auth },
  });
} catch (error) {
  process.stderr.write(
    `emulator: could not start on port ${values.port}: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(EXIT.problems);
}
const url = emulator.url;
if (!values.quiet) {
  process.stderr.write(
    `EVS emulator at ${url} (${values.size} snapshots, seed ${values.seed}, aged as of ${new Date(values.now).toISOString()}, ${Date.now() - started} ms to load)\n`,
  );
  process.stderr.write(`  a scan now should flag ${fleet.expected.size} snapshots\n`);
  for (const p of fleet.projects)
    process.stderr.write(`  ${url}/v2/${p.projectId}/snapshots  (${p.snapshots.length} snapshots)\n`);
}
if (json) {
  const projects = fleet.projects.map((p) => ({
    projectId: p.projectId,
    snapshots: p.snapshots.length,
    url: `${url}/v2/${p.projectId}/snapshots`,
  }));
  process.stdout.write(
    `${JSON.stringify({ url, seed: values.seed, size: values.size, agedAs: new Date(values.now).toISOString(), shouldFlag: fleet.expected.size, projects })}\n`,
  );
}
const stop = () => void emulator.close().then(() => process.exit(EXIT.ok));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
