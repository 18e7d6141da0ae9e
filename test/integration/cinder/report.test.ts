/**
 * The fleet report's money against a real Cinder: `npm run report -- --prices FILE` with 0.05 per
 * GB-month prices the flagged snapshots at exactly the sum of their `size` × 0.05, to the cent,
 * per project and in total, in the JSON, the CSV and the page. The seeded fleet's answer key says
 * which snapshots are flagged; their sizes are the ones Cinder was seeded with.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FindingType } from '../../../lib/domain/finding';
import type { FleetReport } from '../../../lib/report/fleet';
import type { FleetProject } from '../../../tools/emulator/fleet';
import { runScript } from '../../helpers/cli';

const CINDER = process.env.CINDER_URL as string;
const fleet = JSON.parse(readFileSync(process.env.CINDER_FLEET as string, 'utf8')) as {
  projects: FleetProject[];
  expected: Array<[string, FindingType]>;
  malformed: string[];
  policy: { projectId: string };
};
// The projects whose answer key is the default policy's (the policy project's is its own rules').
const projects = fleet.projects.filter((p) => p.projectId !== fleet.policy.projectId);
const flagged = new Set(fleet.expected.map(([id]) => id));
// The snapshot seeded with size 1e200 is a malformed row: reported as such, priced nowhere.
const malformed = new Set(fleet.malformed);
const cents = (amount: number) => Math.round(amount * 100);

const runReport = (dir: string) =>
  runScript('scripts/report.ts', ['--out', join(dir, 'out'), '--prices', join(dir, 'prices.yml')], {
    EVS_ENDPOINT: CINDER,
    EVS_AUTH: 'noauth',
    EVS_REGION: 'cinder',
    SCAN_PROJECT_IDS: projects.map((p) => p.projectId).join(','),
    LOG_LEVEL: 'silent',
  });

describe('the fleet report against real Cinder, at 0.05 per GB-month', () => {
  it('prices the flagged snapshots at the sum of their size × 0.05, to the cent, per project and in total', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cinder-report-'));
    writeFileSync(join(dir, 'prices.yml'), 'currency: USD\npricePerGbMonth: 0.05\n');
    const { code, stderr } = await runReport(dir);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'out/fleet-report.json'), 'utf8')) as FleetReport;
    const money = report.money;
    expect(money?.currency).toBe('USD');

    let total = 0;
    const csv = readFileSync(join(dir, 'out/fleet-report.csv'), 'utf8')
      .trimEnd()
      .split('\r\n')
      .map((l) => l.split(','));
    const header = csv[0] as string[];
    const flaggedColumn = header.indexOf('flagged_cost_per_month_upper_bound');
    for (const project of projects) {
      const gb = project.snapshots.filter((s) => flagged.has(s.id)).reduce((n, s) => n + s.size, 0);
      expect(gb).toBeGreaterThan(0);
      const expected = (gb * 5) / 100;
      total += expected;
      const row = money?.byProject.find((p) => p.projectId === project.projectId);
      expect(cents(row?.flaggedPerMonth as number)).toBe(cents(expected));
      expect(cents(row?.perMonth as number)).toBe(
        cents((project.snapshots.filter((s) => !malformed.has(s.id)).reduce((n, s) => n + s.size, 0) * 5) / 100),
      );
      expect(Number(csv.find((r) => r[2] === project.projectId)?.[flaggedColumn])).toBe(cents(expected) / 100);
    }
    expect(cents(money?.flaggedPerMonth as number)).toBe(cents(total));
    expect(Number(csv.find((r) => r[0] === 'TOTAL')?.[flaggedColumn])).toBe(cents(total) / 100);
    expect(readFileSync(join(dir, 'out/fleet-report.html'), 'utf8')).toContain(
      `USD ${(cents(total) / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}</b>`,
    );
    process.stdout.write(
      `flagged per month: ${money?.byProject.map((p) => `${p.projectId.slice(0, 8)} ${p.flaggedPerMonth}`).join(', ')}; total ${money?.flaggedPerMonth} (expected ${total})\n`,
    );
  });
});
