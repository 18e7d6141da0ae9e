/**
 * `npx tsx bench/semi-space.ts`: the scanner's peak RSS and scan time with the NODE_OPTIONS it is
 * deployed with (serverless.yml) against node's defaults, alternating
 * in fresh processes on the same emulator, on the Node this runs on. A check of that setting
 * after a Node upgrade; not part of `npm run bench`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startServers } from './lib';
import { bundleScanChild, SCANNER_NODE_OPTIONS } from './scan';

const run = promisify(execFile);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const bundle = await bundleScanChild();
const arms = [
  ['deployed', SCANNER_NODE_OPTIONS.split(' ').filter(Boolean)],
  ['node defaults', []],
] as const;
process.stdout.write(`Node ${process.version}; deployed NODE_OPTIONS: ${SCANNER_NODE_OPTIONS || '(none)'}\n`);
for (const [size, rounds] of [
  [100_000, 4],
  [1_000_000, 2],
] as const) {
  const servers = await startServers(size);
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_EVENTBRIDGE: servers.eventBridge,
    LOG_LEVEL: 'silent',
  };
  const results = new Map<string, Array<{ rssKb: number; ms: number }>>(arms.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, flags] of round % 2 === 0 ? arms : [...arms].reverse()) {
      const { stdout } = await run(
        process.execPath,
        [...flags, bundle, '--mode', 'scan', '--emulator', servers.emulator, '--projects', servers.projects.join(',')],
        { env, maxBuffer: 1 << 20, timeout: 1_800_000 },
      );
      const r = JSON.parse(stdout.trim().split('\n').at(-1) as string) as { maxRssKb: number; ms: number; ok: boolean };
      if (!r.ok) throw new Error('a scan did not complete');
      results.get(name)?.push({ rssKb: r.maxRssKb, ms: Math.round(r.ms) });
    }
  }
  servers.stop();
  for (const [name, rs] of results) {
    process.stdout.write(
      `${size} snapshots, ${name}: peak RSS median ${(median(rs.map((r) => r.rssKb)) / 1024).toFixed(1)} MB (${rs.map((r) => (r.rssKb / 1024).toFixed(1)).join(', ')}), scan median ${median(rs.map((r) => r.ms))} ms (${rs.map((r) => r.ms).join(', ')}) over ${rs.length} runs\n`,
    );
  }
}
