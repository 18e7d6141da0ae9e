import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Servers {
  emulator: string;
  eventBridge: string;
  dynamo: string;
  stats: string;
  projects: string[];
  /** One emulator per region (`--regions`); the first is `emulator`. */
  regions: Array<{ url: string; projects: string[] }>;
  snapshots: number;
  /** Live volumes per project (what the orphan check lists). */
  volumes: number[];
  expectedFindings: number;
  loadMs: number;
  child: ChildProcess;
  stop(): void;
}

/** Starts bench/servers.ts in its own process and waits for its URLs. */
export async function startServers(
  size: number,
  projects = 1,
  problemScale = 1,
  regions = 1,
  latencyMs = 0,
): Promise<Servers> {
  const args = [
    '--size',
    String(size),
    '--projects',
    String(projects),
    '--problem-scale',
    String(problemScale),
    '--regions',
    String(regions),
    '--latency-ms',
    String(latencyMs),
  ];
  const child = spawn('node_modules/.bin/tsx', ['bench/servers.ts', ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=8192' },
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench servers exited with ${code}`)));
  });
  const info = JSON.parse(line) as Omit<Servers, 'child' | 'stop'>;
  return { ...info, child, stop: () => child.stdin?.end() };
}

export interface ServerStats {
  listRequests: number;
  volumeRequests: number;
  /** Most list requests in flight at once, per emulator (region), since it started. */
  maxInFlight: number[];
  putEventsCalls: number;
  eventsReceived: number;
  /** Finding events received since the last stats call. */
  findingEvents: number;
}

export async function stats(servers: Servers): Promise<ServerStats> {
  return (await (await fetch(servers.stats)).json()) as ServerStats;
}

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

export const median = (values: number[]) => quantile(values, 0.5);

/** Runs `task` `total` times with `concurrency` in flight, returning each call's latency in ms. */
export async function load(task: () => Promise<void>, total: number, concurrency: number): Promise<number[]> {
  const latencies: number[] = [];
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      const t0 = performance.now();
      await task();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}

export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
