/**
 * One scan cycle over many projects in many regions, two ways on the same emulators, alternating:
 *
 * - single invocation: the scanner in one fresh process scans every target's projects, with the
 *   same per-target caps and as many projects in flight overall as the fan-out can have
 *   (matched), and with SCAN_CONCURRENCY's default;
 * - fan-out: the real dispatcher sends one message per project through the real SQS client to
 *   the local FIFO queue, whose event source invokes worker sandboxes (fresh processes running
 *   the bundled scan-worker handler behind a Lambda Invoke endpoint, started on demand and reused
 *   while warm, as Lambda does), at most the sum of the caps at once.
 *
 * Wall time is from the start (spawn, or dispatch) to the last project done, cold starts included.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import type { DispatchResult } from '../lib/fanout/dispatch';
import { createLogger } from '../lib/observability/log';
import { invokeOverHttp } from '../tools/local/lambda';
import { lambdaContext } from '../tools/local/loopback';
import { startLocalFifoQueue } from '../tools/local/sqs';
import { median, quantile, type Servers, stats } from './lib';
import { type ChildResult, runChild, SCANNER_NODE_OPTIONS } from './scan';

/** SCAN_CONCURRENCY's default: what a single-invocation deployment runs with unless told. */
const DEFAULT_SCAN_CONCURRENCY = 3;

export interface FanoutBench {
  regions: number;
  projects: number;
  snapshots: number;
  findings: number;
  capPerTarget: number;
  rounds: number;
  /** The single invocation with as many projects in flight as the fan-out (matched) and with its default. */
  singleWallMedianMs: { matched: number; default: number };
  fanoutWallMedianMs: number;
  /** Median over rounds of single ÷ fan-out wall time. */
  speedup: { matched: number; default: number };
  singleCpuMedianMs: number;
  fanoutCpuMedianMs: number;
  sandboxes: number;
  invocations: number;
  invocationMedianMs: number;
  invocationP95Ms: number;
  listCalls: { single: number; fanout: number };
  /** Most list requests in flight at once per region, over every arm and round. */
  maxInFlight: number[];
}

interface Sandbox {
  child: ChildProcess;
  invokeUrl: string;
  lines: AsyncIterator<string>;
}

/** Lambda's side of the event source: sandboxes started when none is free, reused when warm. */
function sandboxPool(bundle: string, env: NodeJS.ProcessEnv) {
  const idle: Sandbox[] = [];
  const all: Sandbox[] = [];
  const invocationMs: number[] = [];
  async function start(): Promise<Sandbox> {
    const child = spawn(process.execPath, [...SCANNER_NODE_OPTIONS.split(' ').filter(Boolean), bundle], {
      env,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
    for (;;) {
      const next = await lines.next();
      if (next.done) throw new Error('a worker sandbox exited before listening');
      if (next.value.startsWith('{"invokeUrl"')) {
        const sandbox = { child, lines, invokeUrl: (JSON.parse(next.value) as { invokeUrl: string }).invokeUrl };
        all.push(sandbox);
        return sandbox;
      }
    }
  }
  return {
    invocationMs,
    get size() {
      return all.length;
    },
    async deliver(event: SQSEvent) {
      const sandbox = idle.pop() ?? (await start());
      const t0 = performance.now();
      try {
        return await invokeOverHttp(sandbox.invokeUrl)(event);
      } finally {
        invocationMs.push(performance.now() - t0);
        idle.push(sandbox);
      }
    },
    /** Stops every sandbox; answers their CPU time in total. */
    async stop(): Promise<number> {
      let cpuMs = 0;
      for (const sandbox of all) {
        sandbox.child.stdin?.end();
        for (;;) {
          const next = await sandbox.lines.next();
          if (next.done) break;
          if (next.value.startsWith('{"cpuMs"')) cpuMs += (JSON.parse(next.value) as { cpuMs: number }).cpuMs;
        }
      }
      return cpuMs;
    },
  };
}

/**
 * The dispatcher runs in this process, imported late and quietened: its module builds a handler
 * from this process's environment on import, and its log and EMF lines would land in the report
 * on stdout. The sandboxes get their own environment and print theirs, as deployed.
 */
async function dispatcherModule() {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.LOG_LEVEL = 'silent';
  return import('../functions/dispatch-scans');
}

function writeTargets(servers: Servers, cap: number): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-targets-')), 'targets.yml');
  const lines = ['targets:'];
  servers.regions.forEach((r, i) => {
    lines.push(
      `  - name: region-${i + 1}`,
      `    endpoint: ${r.url}`,
      `    region: region-${i + 1}`,
      '    auth: { mode: noauth }',
      `    projects: [${r.projects.join(', ')}]`,
      `    concurrency: ${cap}`,
    );
  });
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function fanoutCycle(workerBundle: string, env: Record<string, string>, cycle: number, maxConcurrency: number) {
  const pool = sandboxPool(workerBundle, { PATH: process.env.PATH, NODE_NO_WARNINGS: '1', ...env });
  const queue = await startLocalFifoQueue({
    deliver: (event) => pool.deliver(event),
    maxConcurrency,
    visibilityMs: 1_000,
  });
  const sqs = new SQSClient({
    endpoint: queue.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const silent = createLogger({}, () => undefined, 'silent');
  const { createDispatchScansHandler, dispatchScansDepsFromEnv } = await dispatcherModule();
  const dispatch = createDispatchScansHandler(
    dispatchScansDepsFromEnv({ ...env, SCAN_QUEUE_URL: queue.queueUrl }, silent, { sqs }),
  ) as unknown as (e: unknown, c: Context) => Promise<DispatchResult>;
  const t0 = performance.now();
  const result = await dispatch(
    {
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      time: new Date(Date.UTC(2026, 0, 1) + cycle * 900_000).toISOString(),
    },
    lambdaContext(60_000, 'dispatchScans'),
  );
  await queue.drained();
  const wallMs = performance.now() - t0;
  const deadLetters = queue.deadLetters.length;
  await queue.close();
  sqs.destroy();
  const cpuMs = await pool.stop();
  if (result.dispatched === 0 || deadLetters > 0)
    throw new Error(`fan-out cycle: ${result.dispatched} dispatched, ${deadLetters} dead letters`);
  return { wallMs, cpuMs, sandboxes: pool.size, invocationMs: pool.invocationMs };
}

export async function benchFanout(
  scanBundle: string,
  workerBundle: string,
  servers: Servers,
  rounds: number,
  cap = 3,
): Promise<FanoutBench> {
  const targetsFile = writeTargets(servers, cap);
  const totalCap = cap * servers.regions.length;
  const env = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_EVENTBRIDGE: servers.eventBridge,
    LOG_LEVEL: 'silent',
    POWERTOOLS_METRICS_NAMESPACE: 'bench',
    SCAN_TARGETS_FILE: targetsFile,
    EVENT_BUS_NAME: 'bench',
  };
  const single = async (concurrency: number) => {
    const t0 = performance.now();
    const result = await runChild(scanBundle, servers, 'scan', undefined, [
      '--targets-file',
      targetsFile,
      '--concurrency',
      String(concurrency),
    ]);
    if (!result.ok) throw new Error('the single-invocation scan did not complete');
    return { ...result, wallMs: performance.now() - t0 };
  };
  const singles: Record<'matched' | 'default', Array<ChildResult & { wallMs: number }>> = { matched: [], default: [] };
  const fanouts: Array<Awaited<ReturnType<typeof fanoutCycle>>> = [];
  const speedups: Record<'matched' | 'default', number[]> = { matched: [], default: [] };
  const listCalls = { single: 0, fanout: 0 };
  const arms = ['matched', 'fanout', 'default'] as const;
  for (let round = 0; round < rounds; round++) {
    // Each round starts with a different arm, so no arm always runs first or last.
    const order = arms.map((_, i) => arms[(i + round) % arms.length] as (typeof arms)[number]);
    for (const arm of order) {
      const before = await stats(servers);
      if (arm === 'fanout') fanouts.push(await fanoutCycle(workerBundle, env, round, totalCap));
      else singles[arm].push(await single(arm === 'matched' ? totalCap : DEFAULT_SCAN_CONCURRENCY));
      const calls = (await stats(servers)).listRequests - before.listRequests;
      if (arm !== 'default') listCalls[arm === 'fanout' ? 'fanout' : 'single'] = calls;
    }
    const f = fanouts.at(-1) as (typeof fanouts)[number];
    for (const arm of ['matched', 'default'] as const)
      speedups[arm].push((singles[arm].at(-1) as { wallMs: number }).wallMs / f.wallMs);
  }
  const invocations = fanouts.flatMap((f) => f.invocationMs);
  const wall = (arm: 'matched' | 'default') => median(singles[arm].map((s) => s.wallMs));
  return {
    regions: servers.regions.length,
    projects: servers.projects.length,
    snapshots: singles.matched.at(-1)?.snapshots ?? 0,
    findings: singles.matched.at(-1)?.findings ?? 0,
    capPerTarget: cap,
    rounds,
    singleWallMedianMs: { matched: wall('matched'), default: wall('default') },
    fanoutWallMedianMs: median(fanouts.map((f) => f.wallMs)),
    speedup: { matched: median(speedups.matched), default: median(speedups.default) },
    singleCpuMedianMs: median(singles.matched.map((s) => s.cpuMs)),
    fanoutCpuMedianMs: median(fanouts.map((f) => f.cpuMs)),
    sandboxes: median(fanouts.map((f) => f.sandboxes)),
    invocations: invocations.length / rounds,
    invocationMedianMs: median(invocations),
    invocationP95Ms: quantile(invocations, 0.95),
    listCalls,
    maxInFlight: (await stats(servers)).maxInFlight,
  };
}
