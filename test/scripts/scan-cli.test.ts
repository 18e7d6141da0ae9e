import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../lib/events/contract';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { startLocalEventBridge } from '../../tools/local/eventbridge';
import { runScript } from '../helpers/cli';
import { schemaErrors } from '../helpers/schemas';

let fleet: Fleet;
let emulator: RunningEmulator;
let broken: string | undefined;

beforeAll(async () => {
  // Ages are measured from now, as the CLI's clock will; the answer key keeps wide margins.
  fleet = generateFleet({ seed: 'cli', size: 4_500, projects: 3, now: Date.now() });
  emulator = await startEmulator({
    projects: fleet.projects,
    auth: { mode: 'noauth' },
    fault: (r) =>
      r.projectId === broken ? { status: 500, body: '{"computeFault": {"message": "x", "code": 500}}' } : undefined,
  });
});
afterAll(() => emulator.close());

function runScanCli(args: string[], env: Record<string, string> = {}): ReturnType<typeof runScript> {
  return runScript('scripts/scan.ts', args, {
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    EVS_RETRY_BASE_MS: '1',
    SCAN_PROJECT_IDS: fleet.projects.map((p) => p.projectId).join(','),
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

describe('npm run scan', () => {
  it('--dry-run --policy FILE shows what that policy would flag, and refuses a broken one naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-policy-'));
    const file = join(dir, 'policy.yml');
    // Only big snapshots in error, as high; everything else healthy under this policy.
    writeFileSync(
      file,
      'version: 1\nrules:\n  - { name: big-errors, finding: ERROR_STATUS, severity: high, match: { status: [error, error_deleting], size: { over: 1000 } } }\n',
    );
    const { code, stdout, stderr } = await runScanCli(['--dry-run', '--policy', file]);
    expect(code, stderr).toBe(0);
    const findings = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e['detail-type'] === DETAIL_TYPES.finding);
    const wanted = fleet.projects
      .flatMap((p) => p.snapshots)
      .filter((s) => (s.status === 'error' || s.status === 'error_deleting') && s.size > 1000);
    expect(wanted.length).toBeGreaterThan(10);
    expect(findings.map((e) => e.detail.snapshot.id).sort()).toEqual(wanted.map((s) => s.id).sort());
    expect(new Set(findings.map((e) => `${e.detail.rule}/${e.detail.severity}`))).toEqual(new Set(['big-errors/high']));
    // No rule asks about volumes, so none were listed.
    expect(stdout).toContain('"volumesRead":null');

    writeFileSync(
      file,
      'version: 1\nrules:\n  - { name: big-errors, finding: ERROR_STATUS, severity: urgent, match: { status: error } }\n',
    );
    const bad = await runScanCli(['--dry-run', '--policy', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      `configuration error: ${file}:3:58: rules[0].severity must be one of high, medium, low`,
    );
  });

  it('refuses a --target or --project the configuration does not have with one line and exit 2', async () => {
    const target = await runScanCli(['--dry-run', '--quiet', '--target', 'nowhere']);
    expect(target.code).toBe(2);
    expect(target.stderr).toContain('\nscan: configuration error: no target named nowhere (targets: default)\n');
    const project = await runScanCli(['--dry-run', '--quiet', '--project', 'f'.repeat(32)]);
    expect(project.code).toBe(2);
    expect(project.stderr).toContain(`configuration error: project ${'f'.repeat(32)} is not among the projects of`);
  });

  it('--dry-run --policy FILE prints per rule how many snapshots (volumes) and GB it would flag, the same as the findings it prints', async () => {
    const { code, stdout, stderr } = await runScanCli(['--dry-run', '--policy', 'policies/keep-per-disk.yml']);
    expect(code, stderr).toBe(0);
    const findings = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e['detail-type'] === DETAIL_TYPES.finding)
      .map((e) => e.detail);
    const table = stderr.slice(stderr.indexOf('per rule'));
    for (const rule of ['error-status', 'orphaned', 'keep-per-disk', 'stale', 'unprotected-disks']) {
      const mine = findings.filter((f) => f.rule === rule);
      const gb = mine.reduce((n, f) => n + (f.snapshot?.size ?? f.volume?.size ?? 0), 0);
      expect(mine.length, rule).toBeGreaterThan(0);
      const unit = rule === 'unprotected-disks' ? 'volumes' : 'snapshots';
      expect(table, rule).toMatch(new RegExp(`\\n${rule} +[A-Z_]+ +${mine.length} ${unit} +${gb} +\\d+`));
    }
    // The fleet's automatic backup snapshots that are past 365 days are kept out of STALE, and counted.
    expect(table).toMatch(/\nstale +STALE +\d+ snapshots +\d+ +[1-9]\d*/);
  });

  it("--dry-run prints exactly the fleet's findings as JSON lines, a summary per project and a table", async () => {
    const { code, stdout, stderr } = await runScanCli(['--dry-run']);
    expect(code, stderr).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const e of events) expect(schemaErrors(e['detail-type'], e.detail)).toEqual([]);
    const findings = events.filter((e) => e['detail-type'] === DETAIL_TYPES.finding);
    expect(new Map(findings.map((e) => [e.detail.snapshot.id, e.detail.findingType]))).toEqual(fleet.expected);
    expect(findings).toHaveLength(fleet.expected.size);
    expect(events.filter((e) => e['detail-type'] === DETAIL_TYPES.summary).map((e) => e.detail.complete)).toEqual([
      true,
      true,
      true,
    ]);
    expect(stderr).toMatch(/project\s+state\s+snapshots\s+pages\s+ERROR_STATUS\s+STUCK\s+STALE\s+UNKNOWN_STATUS/);
    expect(stderr).toContain(': ok');
  });

  it('publishes to AWS_ENDPOINT_URL_EVENTBRIDGE without --dry-run', async () => {
    const bus = await startLocalEventBridge();
    try {
      const { code, stdout } = await runScanCli([], {
        AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
        EVENT_BUS_NAME: 'cli-bus',
      });
      expect(code).toBe(0);
      expect(stdout).toBe('');
      expect(bus.received.filter((e) => e.DetailType === DETAIL_TYPES.finding)).toHaveLength(fleet.expected.size);
      expect(new Set(bus.received.map((e) => e.EventBusName))).toEqual(new Set(['cli-bus']));
    } finally {
      await bus.close();
    }
  });

  it('exits non-zero and reports the project when one could not be scanned', async () => {
    broken = fleet.projects[2]?.projectId;
    try {
      const { code, stdout, stderr } = await runScanCli(['--dry-run']);
      expect(code).toBe(1);
      expect(stderr).toContain(`${broken}: UPSTREAM_ERROR`);
      const failed = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((e) => e['detail-type'] === DETAIL_TYPES.failed);
      expect(failed.map((e) => e.detail.projectId)).toEqual([broken]);
    } finally {
      broken = undefined;
    }
  });

  it('exits 2 with a clear message on bad configuration', async () => {
    const { code, stderr } = await runScanCli(['--dry-run'], { STALE_AFTER_DAYS: 'soon' });
    expect(code).toBe(2);
    expect(stderr).toContain('STALE_AFTER_DAYS must be an integer from 1 to 36500, got "soon"');
  });
});
