/** `npm run cleanup`: the CLI over the emulator and dynalite, as a person runs it. */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARK_KEY } from '../../lib/cleanup/decide';
import type { Snapshot } from '../../lib/domain/snapshot';
import { formatCinderTime } from '../../tools/emulator/fleet';
import { type CleanupRig, startCleanupRig } from '../helpers/cleanup';
import { runScript } from '../helpers/cli';

const P = 'd1b2c3d4e5f60718293a4b5c6d7e8f90';
const snap = (n: number, name: string, ageDays: number): Snapshot => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  status: 'available',
  name,
  description: null,
  created_at: formatCinderTime(Date.now() - ageDays * 86_400_000, n),
  updated_at: null,
  metadata: {},
  volume_id: 'v1',
  size: 5,
});
const snapshots = [
  snap(1, 'old-1', 400),
  snap(2, 'old-2', 400),
  ...Array.from({ length: 30 }, (_, i) => snap(10 + i, `daily-${i}`, i)),
];
const dir = mkdtempSync(join(tmpdir(), 'cleanup-cli-'));
const policyFile = join(dir, 'cleanup.yml');
writeFileSync(
  policyFile,
  'version: 1\nrules:\n  - name: old-snapshots\n    finding: STALE\n    severity: low\n    match: { name: { pattern: "^old-" }, age: { from: created_at, over: 365d } }\n    cleanup: { after: 0d, approval: none }\n',
);

let rig: CleanupRig;
beforeAll(async () => {
  rig = await startCleanupRig([{ projectId: P, snapshots }]);
});
afterAll(async () => {
  await rig.close();
});

function cli(args: string[], env: Record<string, string> = {}): ReturnType<typeof runScript> {
  return runScript('scripts/cleanup.ts', args, {
    EVS_ENDPOINT: rig.emulator.url,
    EVS_AUTH: 'noauth',
    SCAN_PROJECT_IDS: P,
    FINDINGS_TABLE: rig.dynamo.table,
    AWS_ENDPOINT_URL_DYNAMODB: rig.dynamo.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: rig.bus.url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    CLEANUP_MAX_PERCENT_PER_RUN: '100',
    CLEANUP_MAX_PERCENT_PER_DAY: '100',
    ...env,
  });
}

describe('npm run cleanup', () => {
  it('with --dry-run prints each planned mark with its reason and changes nothing', async () => {
    const { code, stdout } = await cli(['--dry-run', '--policy', policyFile]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\[dry run\] d1b2c3d4e5f60718293a4b5c6d7e8f90: MARKED snapshot 0{8}-0000-4000-8000-00000000000[12]: Snapshot .* will be deleted after .* To keep it, suppress finding/,
    );
    expect(snapshots.some((s) => MARK_KEY in (rig.emulator.store.get(P, s.id)?.metadata ?? {}))).toBe(false);
    expect(rig.bus.received).toEqual([]);
  });

  it('refuses to change anything unless CLEANUP_ENABLED=true, with exit 2', async () => {
    const { code, stderr } = await cli(['--policy', policyFile]);
    expect(code).toBe(2);
    expect(stderr).toContain('CLEANUP_ENABLED is not true');
  });

  it('names the file, line and field of a bad cleanup setting, with exit 2', async () => {
    const bad = join(dir, 'bad.yml');
    writeFileSync(
      bad,
      'version: 1\nrules:\n  - name: old\n    finding: STALE\n    severity: low\n    match: { status: available }\n    cleanup: { after: 2 weeks, approval: none }\n',
    );
    const { code, stderr } = await cli(['--dry-run', '--policy', bad]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/bad\.yml:7:\d+: rules\[0\]\.cleanup\.after must match pattern/);
  });

  it('marks on the first run and deletes on the second', async () => {
    const first = await cli(['--policy', policyFile], { CLEANUP_ENABLED: 'true' });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('2 marked, 0 deleted');
    const second = await cli(['--policy', policyFile], { CLEANUP_ENABLED: 'true' });
    expect(second.stderr).toContain('0 marked, 2 deleted');
    expect(rig.emulator.store.get(P, snapshots[0]?.id as string)).toBeUndefined();
    expect(rig.emulator.store.size(P)).toBe(30);
  });
});
