/**
 * Memory and time of the retention ranking and volume coverage at 1,000,000 snapshots: full
 * published scans of the default fleet with the built-in policy, and with the built-in policy
 * plus an EXCESS_RETENTION rule (keep 3 per volume and the newest of each of 3 months) and an
 * UNPROTECTED_VOLUME rule (in-use, 7 days), alternating, each in a fresh process.
 * `tsx bench/policies.ts [--rounds N] [--also-node-options="FLAGS"]...` runs only this part and prints its
 * section of BENCHMARKS.md; `--also-node-options` measures another scanner setting beside the deployed one.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, median, type Servers, startServers } from './lib';
import { bundleScanChild, type ChildResult, runChild, SCANNER_NODE_OPTIONS } from './scan';

/** The built-in policy with the retention and coverage rules added, as a file. */
function policyWithRetentionAndCoverage(): string {
  const policy = JSON.parse(readFileSync('lib/policy/default-policy.json', 'utf8')) as { rules: unknown[] };
  policy.rules.push(
    {
      name: 'keep-per-disk',
      finding: 'EXCESS_RETENTION',
      severity: 'low',
      match: { status: ['available'], keepNewestPerVolume: 3, keepMonthlyPerVolume: 3 },
    },
    {
      name: 'unprotected-disks',
      finding: 'UNPROTECTED_VOLUME',
      severity: 'medium',
      match: { volumeStatus: 'in-use', noSnapshotWithin: '7d' },
    },
  );
  const file = join(mkdtempSync(join(tmpdir(), 'bench-policy-')), 'retention-coverage.json');
  writeFileSync(file, JSON.stringify(policy));
  return file;
}

interface PolicyRuns {
  maxRssKb: number[];
  ms: number[];
  cpuMs: number[];
  findings: number;
}

export interface PolicyMemory {
  snapshots: number;
  /** Live volumes listed (the fleet's). */
  volumes: number;
  rounds: number;
  node: string;
  /** One arm per NODE_OPTIONS measured; the first is the deployed one. */
  arms: Array<{ nodeOptions: string; builtIn: PolicyRuns; withRules: PolicyRuns }>;
  /** 1-minute load average before the first and after the last run: the machine may be shared. */
  load: [number, number];
}

/**
 * Alternates the two policies over `rounds` rounds on the same emulator, each with the deployed
 * NODE_OPTIONS and with every set in `alsoNodeOptions` (a candidate setting, side by side).
 */
export async function benchPolicyMemory(
  bundle: string,
  servers: Servers,
  rounds: number,
  alsoNodeOptions: string[] = [],
): Promise<PolicyMemory> {
  const file = policyWithRetentionAndCoverage();
  const load0 = loadavg()[0] as number;
  const sets = [SCANNER_NODE_OPTIONS, ...alsoNodeOptions];
  const runs = sets.map(() => ({ builtIn: [] as ChildResult[], withRules: [] as ChildResult[] }));
  for (let round = 0; round < rounds; round++) {
    const order = sets.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const nodeOptions = sets[i] as string;
      const arm = runs[i] as (typeof runs)[number];
      const a = async () => arm.builtIn.push(await runChild(bundle, servers, 'scan', undefined, [], nodeOptions));
      const b = async () =>
        arm.withRules.push(await runChild(bundle, servers, 'scan', undefined, ['--policy', file], nodeOptions));
      if (round % 2 === 0) {
        await a();
        await b();
      } else {
        await b();
        await a();
      }
    }
  }
  const all = runs.flatMap((r) => [...r.builtIn, ...r.withRules]);
  if (!all.every((r) => r.ok)) throw new Error('a benchmark scan did not complete');
  const pick = (list: ChildResult[]): PolicyRuns => ({
    maxRssKb: list.map((r) => r.maxRssKb),
    ms: list.map((r) => r.ms),
    cpuMs: list.map((r) => r.cpuMs),
    findings: list.at(-1)?.findings ?? 0,
  });
  return {
    snapshots: all.at(-1)?.snapshots ?? 0,
    volumes: servers.volumes.reduce((n, v) => n + v, 0),
    rounds,
    node: process.version,
    arms: runs.map((r, i) => ({
      nodeOptions: sets[i] as string,
      builtIn: pick(r.builtIn),
      withRules: pick(r.withRules),
    })),
    load: [load0, loadavg()[0] as number],
  };
}

/** The BENCHMARKS.md section for these figures. */
export function policyMemorySection(m: PolicyMemory): string[] {
  const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
  const s = (ms: number) => `${fmt(ms / 1000, 1)} s`;
  const row = (flags: string, label: string, r: PolicyRuns) =>
    `| \`${flags || '(none)'}\` | ${label} | ${r.findings} | ${mb(median(r.maxRssKb))} (${r.maxRssKb.map(mb).join(', ')}) | ${s(median(r.ms))} (${r.ms.map(s).join(', ')}) | ${s(median(r.cpuMs))} | ${median(r.maxRssKb) <= 160 * 1024 ? 'met' : '**missed**'} |`;
  const lines = [
    '## 8. Retention and coverage rules at 1,000,000 snapshots',
    '',
    `Full published scans of the default fleet (${m.snapshots.toLocaleString('en')} snapshots, one project, ${m.volumes.toLocaleString('en')} volumes) on Node ${m.node}, in fresh processes, the two policies alternating over ${m.rounds} round${m.rounds === 1 ? '' : 's'} on the same emulator: the built-in policy, and the built-in policy plus \`keepNewestPerVolume: 3, keepMonthlyPerVolume: 3\` (EXCESS_RETENTION) and \`volumeStatus: in-use, noSnapshotWithin: 7d\` (UNPROTECTED_VOLUME), which lists the volumes with their details and ranks every available snapshot per volume. The first NODE_OPTIONS are the scanner's deployed ones. Peak RSS and scan time are medians (each run in brackets); load average ${fmt(m.load[0])} before the first run, ${fmt(m.load[1])} after the last.`,
    '',
    '| scanner NODE_OPTIONS | policy | findings | peak RSS | scan time | CPU time | target ≤ 160 MB |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const arm of m.arms)
    lines.push(
      row(arm.nodeOptions, 'built-in', arm.builtIn),
      row(arm.nodeOptions, 'built-in + retention + coverage', arm.withRules),
    );
  lines.push('');
  for (const arm of m.arms) {
    lines.push(
      `With / without the rules, \`${arm.nodeOptions || '(none)'}\`: ${fmt(median(arm.withRules.maxRssKb) / median(arm.builtIn.maxRssKb))}× peak RSS, ${fmt(median(arm.withRules.ms) / median(arm.builtIn.ms))}× scan time.`,
      '',
    );
  }
  return lines;
}

if (process.argv[1]?.endsWith('policies.ts')) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '2' },
      'also-node-options': { type: 'string', multiple: true, default: [] },
    },
  });
  const bundle = await bundleScanChild();
  const servers = await startServers(1_000_000);
  try {
    const m = await benchPolicyMemory(bundle, servers, Number(values.rounds), values['also-node-options']);
    process.stdout.write(`${policyMemorySection(m).join('\n')}\n`);
  } finally {
    servers.stop();
  }
}
