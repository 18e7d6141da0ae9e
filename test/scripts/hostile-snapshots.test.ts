/** Absurd values in snapshot rows, through npm run scan and npm run report (issue 23, item 10). */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { DETAIL_TYPES } from '../../lib/events/contract';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';

let fleet: Fleet;
let emulator: RunningEmulator;
let huge: Snapshot;
let future: Snapshot;

beforeAll(async () => {
  fleet = generateFleet({ seed: 'hostile-snapshots', size: 400, projects: 1, now: Date.now() });
  const snapshots = fleet.projects[0]?.snapshots as Snapshot[];
  huge = { ...(snapshots[0] as Snapshot), size: 1e308, status: 'available' };
  future = { ...(snapshots[1] as Snapshot), status: 'error', created_at: '2999-01-01T00:00:00', updated_at: null };
  snapshots[0] = huge;
  snapshots[1] = future;
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } });
});
afterAll(() => emulator.close());

function cli(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      env: {
        PATH: process.env.PATH,
        EVS_ENDPOINT: emulator.url,
        EVS_AUTH: 'noauth',
        SCAN_PROJECT_IDS: fleet.projects[0]?.projectId,
        AWS_REGION: 'eu-west-1',
        LOG_LEVEL: 'silent',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('absurd snapshot values in what people read', () => {
  it('a snapshot created in the future is never "in status error (for -N minutes)"', async () => {
    const { code, stdout, stderr } = await cli('scripts/scan.ts', ['--dry-run']);
    expect(code, stderr).toBe(0);
    const finding = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e['detail-type'] === DETAIL_TYPES.finding && e.detail.snapshot.id === future.id);
    expect(finding?.detail.reason).toBe(
      'Snapshot is in status error (for an unknown time (its timestamp is in the future)).',
    );
    expect(finding?.detail.reason).not.toMatch(/-\d/);
  }, 60_000);

  it("a snapshot of size 1e308 shows neither Infinity nor 1e+308 in the report's CSV and JSON; the project stays complete", async () => {
    const out = mkdtempSync(join(tmpdir(), 'hostile-report-'));
    const { code, stderr } = await cli('scripts/report.ts', ['--out', out]);
    expect(code, stderr).toBe(0);
    const files = readdirSync(out);
    const csv = readFileSync(join(out, files.find((f) => f.endsWith('.csv')) as string), 'utf8');
    const json = readFileSync(join(out, files.find((f) => f.endsWith('.json')) as string), 'utf8');
    for (const text of [csv, json]) {
      expect(text).not.toMatch(/Infinity|e\+\d/i);
      expect(text).not.toContain(huge.id);
    }
    expect(JSON.parse(json)).toBeTruthy();
  }, 60_000);
});
