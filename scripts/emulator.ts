/** Starts the EVS emulator on its own: `npm run emulator -- --port 8776 --seed demo --size 5000 --projects 2`. */
import { parseArgs } from 'node:util';
import { generateFleet } from '../lib/emulator/fleet';
import { startEmulator } from '../lib/emulator/server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8776' },
    seed: { type: 'string', default: 'local' },
    size: { type: 'string', default: '5000' },
    projects: { type: 'string', default: '2' },
    'max-limit': { type: 'string', default: '1000' },
    auth: { type: 'string', default: 'none' },
  },
});

const projects = /^\d+$/.test(values.projects) ? Number(values.projects) : values.projects.split(',');
const started = Date.now();
const fleet = generateFleet({ seed: values.seed, size: Number(values.size), projects });
const emulator = await startEmulator({
  projects: fleet.projects,
  port: Number(values.port),
  maxLimit: Number(values['max-limit']),
  auth: values.auth === 'noauth' ? { mode: 'noauth' } : { mode: 'none' },
});
process.stderr.write(`EVS emulator at ${emulator.url} (${values.size} snapshots, seed ${values.seed}, ${Date.now() - started} ms to load)\n`);
for (const p of fleet.projects) process.stderr.write(`  ${emulator.url}/v2/${p.projectId}/snapshots  (${p.snapshots.length} snapshots)\n`);
const stop = () => void emulator.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
