/**
 * Starts the EVS emulator on its own: `npm run emulator -- --port 8776 --seed demo --size 5000 --projects 2`.
 * Ages are built from the current time (or `--now 2026-12-01T12:00:00Z`), so the fleet's own
 * count of snapshots a scan should flag is right when the scan runs.
 */
import { parseArgs } from 'node:util';
import { generateFleet } from '../tools/emulator/fleet';
import { startEmulator } from '../tools/emulator/server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8776' },
    seed: { type: 'string', default: 'local' },
    size: { type: 'string', default: '5000' },
    projects: { type: 'string', default: '2' },
    'max-limit': { type: 'string', default: '1000' },
    auth: { type: 'string', default: 'none' },
    now: { type: 'string' },
  },
});

const now = values.now === undefined ? Date.now() : Date.parse(values.now);
if (Number.isNaN(now)) {
  process.stderr.write(`--now must be an ISO 8601 time, got "${values.now}"\n`);
  process.exit(2);
}

const projects = /^\d+$/.test(values.projects) ? Number(values.projects) : values.projects.split(',');
const started = Date.now();
const fleet = generateFleet({ seed: values.seed, size: Number(values.size), projects, now });
const emulator = await startEmulator({
  projects: fleet.projects,
  port: Number(values.port),
  maxLimit: Number(values['max-limit']),
  auth: values.auth === 'noauth' ? { mode: 'noauth' } : { mode: 'none' },
});
process.stderr.write(`EVS emulator at ${emulator.url} (${values.size} snapshots, seed ${values.seed}, aged as of ${new Date(now).toISOString()}, ${Date.now() - started} ms to load)\n`);
process.stderr.write(`  a scan now should flag ${fleet.expected.size} snapshots\n`);
for (const p of fleet.projects) process.stderr.write(`  ${emulator.url}/v2/${p.projectId}/snapshots  (${p.snapshots.length} snapshots)\n`);
const stop = () => void emulator.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
