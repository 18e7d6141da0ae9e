/**
 * Owners from a configurable source: the metadata key OWNER_METADATA_KEY names, else the owner the
 * targets file gives the project, else "unowned"; cleaned of control characters and capped.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProjectReport, projectReportOf } from '../../lib/report/fleet';
import { createPrintingSink } from '../../lib/scan/dry-run';
import { buildScanner } from '../../lib/wiring/scanner';
import { loadScanSettings } from '../../lib/wiring/settings/scanner';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';

let fleet: Fleet;
let emulator: RunningEmulator;

beforeAll(async () => {
  fleet = generateFleet({ seed: 'owners', size: 300, projects: 1, now: Date.now() });
  (fleet.projects[0]?.snapshots ?? []).forEach((s, i) => {
    s.metadata =
      i % 3 === 0
        ? { team: 'storage' }
        : i % 3 === 1
          ? { team: ` \u0007db\u2028 ${'x'.repeat(200)}`, owner: 'ignored' }
          : { owner: 'ignored too' };
  });
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } });
});
afterAll(() => emulator.close());

describe('owners', () => {
  it("come from the metadata key OWNER_METADATA_KEY names, else the targets file's project owner, cleaned and capped", async () => {
    const projectId = fleet.projects[0]?.projectId as string;
    const targets = `targets:\n  - name: lab\n    endpoint: ${emulator.url}\n    auth: { mode: noauth }\n    projects: [{ id: ${projectId}, owner: platform }]\n`;
    const file = join(mkdtempSync(join(tmpdir(), 'owners-')), 'targets.yml');
    writeFileSync(file, targets);
    const settings = loadScanSettings({ SCAN_TARGETS_FILE: file, OWNER_METADATA_KEY: 'team' });
    const result = await buildScanner(settings, {
      dryRun: true,
      createSink: () => createPrintingSink(() => undefined),
    })(Date.now() + 60_000);
    const part = projectReportOf(result.projects[0] as (typeof result.projects)[0], result.scanId) as ProjectReport;
    const count = (owner: string) =>
      Object.values(part.stats.byOwner?.[owner]?.byStatus ?? {}).reduce((n, v) => n + v.count, 0);
    const cleaned = `db ${'x'.repeat(200)}`.slice(0, 128);
    expect(Object.keys(part.stats.byOwner ?? {}).sort()).toEqual(['platform', 'storage', cleaned].sort());
    expect([count('storage'), count(cleaned), count('platform')]).toEqual([100, 100, 100]);
  });
});
