import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';
import type { TransitionCounts } from '../lib/events/contract';
import { median, type Servers, stats } from './lib';

const run = promisify(execFile);

export interface ChildResult {
  mode: string;
  ms: number;
  cpuMs: number;
  maxRssKb: number;
  snapshots: number;
  pages?: number;
  findings?: number;
  putEventsCalls?: number;
  ok?: boolean;
  store?: { readCalls: number; writeCalls: number; batchWriteCalls: number; itemsWritten: number };
  transitions?: TransitionCounts;
}

const plugins = createRequire(import.meta.url)('../deploy/esbuild-plugins.cjs') as Plugin[];

/**
 * Bundles bench/scan-child.ts (or another entry) the way serverless-esbuild bundles the scanner,
 * with the same plugins: the modules loaded on first use (secrets, the S3 report store) are
 * files of their own beside the bundle, as deployed.
 */
export async function bundleScanChild(entry = 'bench/scan-child.ts'): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'bench-scan-')), 'child.mjs');
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    minify: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`, // the Node this bench runs on (24, or 20 side by side)
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
    plugins,
  });
  return out;
}

/**
 * The scanner's NODE_OPTIONS as deployed (serverless.yml, or a file under resources/ once the
 * stack is split), so the benchmark runs it the way Lambda will. Lambda's Node runtime adds no
 * heap flags of its own when NODE_OPTIONS names a semi or old space size, so these are all of
 * them. Not found, or two different values, stops the benchmark rather than measuring node's defaults.
 */
function deployedScannerNodeOptions(): string {
  const files = [
    'serverless.yml',
    ...(existsSync('resources')
      ? readdirSync('resources', { recursive: true, encoding: 'utf8' })
          .filter((f) => /\.ya?ml$/.test(f))
          .map((f) => join('resources', f))
      : []),
  ];
  const values = new Set(
    files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^\s+NODE_OPTIONS: (.+)$/gm)].map((m) => (m[1] as string).trim()),
    ),
  );
  if (values.size !== 1)
    throw new Error(
      `expected one scanner NODE_OPTIONS in ${files.join(', ')}, found ${values.size === 0 ? 'none' : [...values].join(' | ')}`,
    );
  return [...values][0] as string;
}

export const SCANNER_NODE_OPTIONS = deployedScannerNodeOptions();

/** `nodeOptions`: the flags the child runs with, the deployed ones unless a benchmark compares others. */
export async function runChild(
  bundle: string,
  servers: Servers,
  mode: 'scan' | 'classify' | 'bare' | 'stateful',
  table?: string,
  extraArgs: string[] = [],
  nodeOptions = SCANNER_NODE_OPTIONS,
): Promise<ChildResult> {
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_EVENTBRIDGE: servers.eventBridge,
    AWS_ENDPOINT_URL_DYNAMODB: servers.dynamo,
    LOG_LEVEL: 'silent',
    EVENT_PUBLISH_CONCURRENCY: process.env.EVENT_PUBLISH_CONCURRENCY ?? '',
  };
  const args = [
    ...nodeOptions.split(' ').filter(Boolean),
    bundle,
    '--mode',
    mode,
    '--emulator',
    servers.emulator,
    '--projects',
    servers.projects.join(','),
    ...(table ? ['--table', table] : []),
    ...extraArgs,
  ];
  const { stdout } = await run(process.execPath, args, { env, maxBuffer: 1 << 20, timeout: 1_800_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as ChildResult;
}

export interface ScanThroughput {
  snapshots: number;
  findings: number;
  scanMedianMs: number;
  classifyMedianMs: number;
  /** Classify only, with the built-in policy minus its orphan rule: no volume listing. */
  classifyNoOrphanMedianMs: number;
  classifyNoOrphanRatio: number;
  volumeCalls: number;
  bareMedianMs: number;
  ratio: number;
  classifyRatio: number;
  rounds: number;
  listCalls: number;
  putEventsCalls: number;
  serverPutEventsCalls: number;
}

/** Full scans against a bare paging loop over the same pages, alternating, in fresh processes. */
/** Peak RSS of one full scan (published) in a fresh process. */
export async function measureScanMemory(bundle: string, servers: Servers): Promise<ChildResult> {
  return runChild(bundle, servers, 'scan');
}

/** The built-in policy without its orphan rule, as a file: what the scan costs without listing volumes. */
function policyWithoutOrphans(): string {
  const policy = JSON.parse(readFileSync('lib/policy/default-policy.json', 'utf8')) as {
    rules: Array<{ finding: string }>;
  };
  policy.rules = policy.rules.filter((r) => r.finding !== 'ORPHANED');
  const file = join(mkdtempSync(join(tmpdir(), 'bench-policy-')), 'no-orphans.json');
  writeFileSync(file, JSON.stringify(policy));
  return file;
}

export async function benchScanThroughput(bundle: string, servers: Servers, rounds: number): Promise<ScanThroughput> {
  const noOrphans = ['--policy', policyWithoutOrphans()];
  await runChild(bundle, servers, 'bare');
  const scans: ChildResult[] = [];
  const bares: ChildResult[] = [];
  const ratios: number[] = [];
  const classifyMs: number[] = [];
  const classifyRatios: number[] = [];
  const noOrphanMs: number[] = [];
  const noOrphanRatios: number[] = [];
  let calls = { list: 0, put: 0, volumes: 0 };
  for (let round = 0; round < rounds; round++) {
    const first = round % 2 === 0 ? 'scan' : 'bare';
    const second = first === 'scan' ? 'bare' : 'scan';
    const before = await stats(servers);
    const a = await runChild(bundle, servers, first);
    const mid = await stats(servers);
    const b = await runChild(bundle, servers, second);
    const after = await stats(servers);
    const [scan, bare] = first === 'scan' ? [a, b] : [b, a];
    const [scanBefore, scanAfter] = first === 'scan' ? [before, mid] : [mid, after];
    calls = {
      list: scanAfter.listRequests - scanBefore.listRequests,
      put: scanAfter.putEventsCalls - scanBefore.putEventsCalls,
      volumes: scanAfter.volumeRequests - scanBefore.volumeRequests,
    };
    if (!scan.ok) throw new Error('a benchmark scan did not complete');
    scans.push(scan);
    bares.push(bare);
    ratios.push(scan.ms / bare.ms);
    // With and without the orphan rule, one after the other in alternating order.
    const withOrphans = () => runChild(bundle, servers, 'classify');
    const withoutOrphans = () => runChild(bundle, servers, 'classify', undefined, noOrphans);
    let classified: ChildResult;
    let plain: ChildResult;
    if (round % 2 === 0) {
      classified = await withOrphans();
      plain = await withoutOrphans();
    } else {
      plain = await withoutOrphans();
      classified = await withOrphans();
    }
    classifyMs.push(classified.ms);
    classifyRatios.push(classified.ms / bare.ms);
    noOrphanMs.push(plain.ms);
    noOrphanRatios.push(plain.ms / bare.ms);
  }
  const last = scans.at(-1) as ChildResult;
  return {
    snapshots: last.snapshots,
    findings: last.findings ?? 0,
    scanMedianMs: median(scans.map((s) => s.ms)),
    classifyMedianMs: median(classifyMs),
    classifyNoOrphanMedianMs: median(noOrphanMs),
    classifyNoOrphanRatio: median(noOrphanRatios),
    volumeCalls: calls.volumes,
    bareMedianMs: median(bares.map((b) => b.ms)),
    ratio: median(ratios),
    classifyRatio: median(classifyRatios),
    rounds,
    listCalls: calls.list,
    putEventsCalls: last.putEventsCalls ?? 0,
    serverPutEventsCalls: calls.put,
  };
}
