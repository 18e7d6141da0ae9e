/**
 * The benchmark's upstreams in a process of their own, so their CPU is not the measured
 * process's: the EVS emulator and a local PutEvents endpoint. Prints one JSON line with their
 * URLs and a stats URL once listening; exits when stdin closes.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { generateFleet } from '../tools/emulator/fleet';
import { startEmulator } from '../tools/emulator/server';
import { startLocalDynamo } from '../tools/local/dynamodb';
import { startLocalEventBridge } from '../tools/local/eventbridge';
import { listenOnLoopback } from '../tools/local/loopback';

const { values } = parseArgs({ options: { size: { type: 'string', default: '100000' }, projects: { type: 'string', default: '1' }, 'problem-scale': { type: 'string', default: '1' } } });
const started = Date.now();
const fleet = generateFleet({ seed: 'bench', size: Number(values.size), projects: Number(values.projects), now: Date.now(), problemScale: Number(values['problem-scale']) });
const emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } });
const bus = await startLocalEventBridge();
// The findings table's server (dynalite): the benchmark creates a fresh table per measurement.
const dynamo = await startLocalDynamo();
const stats = await listenOnLoopback(
  createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(
      JSON.stringify({ listRequests: emulator.listRequests, putEventsCalls: bus.calls, eventsReceived: bus.received.length, findingEvents: bus.received.filter((e) => e.DetailType === 'EVS Snapshot Finding').length }),
    );
    // Keep memory flat across repeated scans: only the counts matter here.
    bus.received.length = 0;
  }),
);
process.stdout.write(
  `${JSON.stringify({
    emulator: emulator.url,
    eventBridge: bus.url,
    dynamo: dynamo.url,
    stats: stats.url,
    projects: fleet.projects.map((p) => p.projectId),
    snapshots: Number(values.size),
    expectedFindings: fleet.expected.size,
    loadMs: Date.now() - started,
  })}\n`,
);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
