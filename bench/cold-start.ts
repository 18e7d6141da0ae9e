import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './lib';

export interface BundleRow {
  fn: string;
  zipBytes: number;
  bundleBytes: number;
  initMedianMs: number;
  nodeMedianMs: number;
  /** Importing an empty ES module: node's own ESM start-up, without any of our code. */
  emptyModuleMedianMs: number;
  ratio: number;
  ratioVsEmptyModule: number;
}

const FUNCTIONS = ['listSnapshots', 'scanSnapshots', 'findings', 'notifier', 'fleetReport'];

/** `serverless package` for real, then each bundle's size and import time against bare `node -e 0`. */
export function benchColdStart(runs: number): BundleRow[] {
  const out = mkdtempSync(join(tmpdir(), 'bench-package-'));
  const env = { ...process.env };
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'SCAN_RATE']) delete env[key];
  execFileSync('node_modules/.bin/serverless', ['package', '--stage', 'bench', '--package', out], {
    env,
    stdio: 'ignore',
    timeout: 180_000,
  });
  const runEnv = {
    PATH: process.env.PATH,
    EVS_ENDPOINT: 'http://127.0.0.1:9',
    EVS_AUTH: 'noauth',
    ALLOWED_PROJECT_IDS: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
    SCAN_PROJECT_IDS: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
    FINDINGS_TABLE: 'bench-findings',
    REPORT_BUCKET: 'bench-reports',
    AWS_REGION: 'eu-west-1',
    LOG_LEVEL: 'silent',
  };
  const wall = (args: string[]) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { env: runEnv, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
    return performance.now() - t0;
  };
  const empty = join(out, 'empty.mjs');
  writeFileSync(empty, 'export {};\n');
  const importEmpty = ['--input-type=module', '-e', `await import(${JSON.stringify(`file://${empty}`)})`];
  return FUNCTIONS.map((fn) => {
    const dir = join(out, fn);
    execFileSync('unzip', ['-q', '-o', join(out, `${fn}.zip`), '-d', dir]);
    // The handler's own module; secrets-aws.mjs and report-s3.mjs beside it are loaded only when a secret is read or a report written.
    const bundle = join(
      dir,
      'functions',
      readdirSync(join(dir, 'functions')).find((f) => f !== 'secrets-aws.mjs' && f !== 'report-s3.mjs') as string,
    );
    const importIt = ['--input-type=module', '-e', `await import(${JSON.stringify(`file://${bundle}`)})`];
    wall(importIt);
    wall(['-e', '0']);
    const init: number[] = [];
    const bare: number[] = [];
    const emptyRuns: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Alternate, so a noisy neighbour hits both alike.
      if (i % 2 === 0) {
        init.push(wall(importIt));
        bare.push(wall(['-e', '0']));
      } else {
        bare.push(wall(['-e', '0']));
        init.push(wall(importIt));
      }
      emptyRuns.push(wall(importEmpty));
    }
    return {
      fn,
      zipBytes: statSync(join(out, `${fn}.zip`)).size,
      bundleBytes: statSync(bundle).size,
      initMedianMs: median(init),
      nodeMedianMs: median(bare),
      emptyModuleMedianMs: median(emptyRuns),
      ratio: median(init) / median(bare),
      ratioVsEmptyModule: median(init) / median(emptyRuns),
    };
  });
}
