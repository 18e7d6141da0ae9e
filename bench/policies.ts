/**
 * Memory and time of the retention ranking and volume coverage at 1,000,000 snapshots: full
 * published scans of the default fleet with the built-in policy, and with the built-in policy
 * plus an EXCESS_RETENTION rule (keep 3 per volume and the newest of each of 3 months) and an
 * UNPROTECTED_VOLUME rule (in-use, 7 days), alternating, each in a fresh process.
 * `tsx bench/policies.ts [--rounds N]` runs only this part and prints its section of BENCHMARKS.md.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, median, type Servers, startServers } from './lib';
import { bundleScanChild, type ChildResult, runChild } from './scan';

/** The built-in policy with the retention and coverage rules added, as a file. */
function policyWithRetentionAndCoverage(): string {
  const policy = JSON.parse(readFileSync('lib/policy/default-policy.json', 'utf8')) as { rules: unknown[] };
  policy.rules.push(
    { name: 'keep-per-disk', finding: 'EXCESS_RETENTION', severity: 'low', match: { status: ['available'], keepNewestPerVolume: 3, keepMonthlyPerVolume: 3 } },
    { name: 'unprotected-disks', finding: 'UNPROTECTED_VOLUME', severity: 'medium', match: { volumeStatus: 'in-use', noSnapshotWithin: '7d' } },
  );
  const file = join(mkdtempSync(join(tmpdir(), 'bench-policy-')), 'retention-coverage.json');
  writeFileSync(file, JSON.stringify(policy));
  return file;
}

export interface PolicyMemory {
  snapshots: number;
  rounds: number;
  builtIn: { maxRssKb: number[]; ms: number[]; findings: number };
  withRules: { maxRssKb: number[]; ms: number[]; findings: number };
}

/** Alternates the two policies over `rounds` rounds on the same emulator. */
export async function benchPolicyMemory(bundle: string, servers: Servers, rounds: number): Promise<PolicyMemory> {
  const file = policyWithRetentionAndCoverage();
  const builtIn: ChildResult[] = [];
  const withRules: ChildResult[] = [];
  for (let round = 0; round < rounds; round++) {
    const a = () => runChild(bundle, servers, 'scan');
    const b = () => runChild(bundle, servers, 'scan', undefined, ['--policy', file]);
    if (round % 2 === 0) {
      builtIn.push(await a());
      withRules.push(await b());
    } else {
      withRules.push(await b());
      builtIn.push(await a());
    }
  }
  if (![...builtIn, ...withRules].every((r) => r.ok)) throw new Error('a benchmark scan did not complete');
  const pick = (runs: ChildResult[]) => ({ maxRssKb: runs.map((r) => r.maxRssKb), ms: runs.map((r) => r.ms), findings: runs.at(-1)?.findings ?? 0 });
  return { snapshots: builtIn.at(-1)?.snapshots ?? 0, rounds, builtIn: pick(builtIn), withRules: pick(withRules) };
}

/** The BENCHMARKS.md section for these figures. */
export function policyMemorySection(m: PolicyMemory): string[] {
  const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
  const row = (label: string, r: PolicyMemory['builtIn']) => `| ${label} | ${r.findings} | ${mb(median(r.maxRssKb))} (${r.maxRssKb.map(mb).join(', ')}) | ${fmt(median(r.ms) / 1000, 1)} s | ${median(r.maxRssKb) <= 160 * 1024 ? 'met' : '**missed**'} |`;
  const ratio = median(m.withRules.maxRssKb) / median(m.builtIn.maxRssKb);
  return [
    '## 8. Retention and coverage rules at 1,000,000 snapshots',
    '',
    `Full published scans of the default fleet (${m.snapshots.toLocaleString('en')} snapshots, one project, 125,000 volumes), in fresh processes, the two policies alternating over ${m.rounds} rounds on the same emulator: the built-in policy, and the built-in policy plus \`keepNewestPerVolume: 3, keepMonthlyPerVolume: 3\` (EXCESS_RETENTION) and \`volumeStatus: in-use, noSnapshotWithin: 7d\` (UNPROTECTED_VOLUME), which lists the volumes with their details and ranks every available snapshot per volume. Peak RSS is the median (each run in brackets).`,
    '',
    '| policy | findings | peak RSS | scan time (median) | target ≤ 160 MB |',
    '|---|---|---|---|---|',
    row('built-in', m.builtIn),
    row('built-in + retention + coverage', m.withRules),
    '',
    `With / without: ${fmt(ratio)}× peak RSS, ${fmt(median(m.withRules.ms) / median(m.builtIn.ms))}× scan time.`,
    '',
  ];
}

if (process.argv[1]?.endsWith('policies.ts')) {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' } } });
  const bundle = await bundleScanChild();
  const servers = await startServers(1_000_000);
  try {
    const m = await benchPolicyMemory(bundle, servers, Number(values.rounds));
    process.stdout.write(`${policyMemorySection(m).join('\n')}\n`);
  } finally {
    servers.stop();
  }
}
