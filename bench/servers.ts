/**
 * The benchmark's upstreams in a process of their own, so their CPU is not the measured
 * process's: the EVS emulator and a local PutEvents endpoint. Prints one JSON line with their
 * URLs and a stats URL once listening; exits when stdin closes. `--regions N` splits the
 * projects over N emulators, one per region, and `--latency-ms` delays
 * every answer (the fan-out benchmark).
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { generateFleet } from '../tools/emulator/fleet';
import { startEmulator } from '../tools/emulator/server';
import { startLocalDynamo } from '../tools/local/dynamodb';
import { startLocalEventBridge } from '../tools/local/eventbridge';
import { listenOnLoopback } from '../tools/local/loopback';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '100000' },
    projects: { type: 'string', default: '1' },
    'problem-scale': { type: 'string', default: '1' },
    regions: { type: 'string', default: '1' },
    'latency-ms': { type: 'string', default: '0' },
  },
});
const started = Date.now();
const fleet = generateFleet({
  seed: 'bench',
  size: Number(values.size),
  projects: Number(values.projects),
  now: Date.now(),
  problemScale: Number(values['problem-scale']),
});
const regionCount = Number(values.regions);
// Time every answer waits before it is sent, as a remote API's round trip would.
const latencyMs = Number(values['latency-ms']);
const slices = Array.from({ length: regionCount }, (_, i) => fleet.projects.filter((_p, j) => j % regionCount === i));
const emulators = await Promise.all(
  slices.map((projects, i) =>
    startEmulator({
      projects,
      auth: { mode: 'noauth' },
      region: `region-${i + 1}`,
      ...(latencyMs > 0 ? { latencyMs: () => latencyMs } : {}),
    }),
  ),
);
const emulator = emulators[0] as (typeof emulators)[number];
const bus = await startLocalEventBridge();
// The findings table's server (dynalite): the benchmark creates a fresh table per measurement.
const dynamo = await startLocalDynamo();
const stats = await listenOnLoopback(
  createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(
      JSON.stringify({
        listRequests: emulators.reduce((n, e) => n + e.listRequests, 0),
        volumeRequests: emulators.reduce((n, e) => n + e.volumeRequests, 0),
        maxInFlight: emulators.map((e) => e.maxInFlight),
        putEventsCalls: bus.calls,
        eventsReceived: bus.received.length,
        findingEvents: bus.received.filter((e) => e.DetailType === 'EVS Snapshot Finding').length,
      }),
    );
    // Keep memory flat across repeated scans: only the counts matter here.
    bus.received.length = 0;
  }),
);
process.stdout.write(
  `${JSON.stringify({
    emulator: emulator.url,
    regions: emulators.map((e, i) => ({ url: e.url, projects: (slices[i] ?? []).map((p) => p.projectId) })),
    eventBridge: bus.url,
    dynamo: dynamo.url,
    stats: stats.url,
    projects: fleet.projects.map((p) => p.projectId),
    snapshots: Number(values.size),
    volumes: fleet.projects.map((p) => p.volumes?.length ?? 0),
    expectedFindings: fleet.expected.size,
    loadMs: Date.now() - started,
  })}\n`,
);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
