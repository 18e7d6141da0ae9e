/**
 * The policies teams keep snapshots by, through the real scanner against the emulator with a
 * findings table on dynalite: keep the newest N per volume, volumes with no recent snapshot, and
 * the cloud's own backup snapshots left alone whatever the policy says.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DETAIL_TYPES, type FindingDetail, type SummaryDetail } from '../../lib/events/contract';
import { listFindings } from '../../lib/findings/api';
import { formatRuleTally } from '../../lib/scan/report';
import { createFindingsStore } from '../../lib/state/dynamo/findings-table';
import { buildScanner, createEventBridgeClient } from '../../lib/wiring/scanner';
import { loadScanSettings } from '../../lib/wiring/settings/scanner';
import { formatCinderTime } from '../../tools/emulator/fleet';
import { generatePolicyFleet, POLICY_FLEET_RULES, type PolicyFleet } from '../../tools/emulator/policy-fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import type { LocalDynamo } from '../../tools/local/dynamodb';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { schemaErrors } from '../helpers/schemas';
import { startStateTable } from '../helpers/state';

const PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
// The example, as written.
const EXAMPLE = `version: 1
rules:
  - name: keep-seven-per-disk
    finding: EXCESS_RETENTION
    severity: low
    match: { status: [available], keepNewestPerVolume: 7 }
`;

let fleet: PolicyFleet;
let emulator: RunningEmulator;
let dynamo: LocalDynamo & { table: string };
const buses: LocalEventBridge[] = [];
const dir = mkdtempSync(join(tmpdir(), 'policies-'));
const policyFile = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

beforeAll(async () => {
  fleet = generatePolicyFleet(PROJECT, Date.now());
  emulator = await startEmulator({ projects: [fleet.project], auth: { mode: 'noauth' }, maxLimit: 7 });
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  dynamo = await startStateTable();
  emulator.store.load(fleet.project);
  emulator.volumes.load(fleet.project);
});
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
  await dynamo.close();
});

async function scan(policy: string, stateful = true) {
  const bus = await startLocalEventBridge();
  buses.push(bus);
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.url;
  // Pages of 7: a volume's snapshots come over several pages, between other volumes'.
  const settings = loadScanSettings({
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    SCAN_PROJECT_IDS: PROJECT,
    SCAN_PAGE_SIZE: '7',
    SCAN_POLICY_FILE: policy,
    ...(stateful ? { FINDINGS_TABLE: dynamo.table } : {}),
  });
  const result = await buildScanner(settings, {
    ...(stateful ? { store: createFindingsStore({ tableName: dynamo.table }) } : {}),
    eventBridge: createEventBridgeClient(2_000),
  })(Date.now() + 60_000);
  const events = bus.received.map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail) }));
  for (const e of events) expect(schemaErrors(e.type, e.detail)).toEqual([]);
  const findings = events.filter((e) => e.type === DETAIL_TYPES.finding).map((e) => e.detail as FindingDetail);
  return {
    result,
    settings,
    snapshotFindings: findings.filter((f) => f.snapshot),
    volumeFindings: findings.filter((f) => f.volume),
    summary: events.find((e) => e.type === DETAIL_TYPES.summary)?.detail as SummaryDetail,
  };
}

describe('keep the newest N per volume (EXCESS_RETENTION)', () => {
  it("flags exactly the 3 oldest of each volume of 10 under the issue's example policy, with the volume, the rank and the rule", async () => {
    const { snapshotFindings, summary } = await scan(policyFile('example.yml', EXAMPLE), false);
    const byId = new Map(snapshotFindings.map((f) => [f.snapshot?.id, f]));
    // Without a STALE rule, the mixed volume's 3 oldest are EXCESS_RETENTION too.
    const excess = [...fleet.expected.keys()];
    expect(new Set(byId.keys())).toEqual(new Set(excess));
    for (const v of fleet.tenSnapshotVolumes) {
      const ranks = snapshotFindings
        .filter((f) => f.retention?.volumeId === v)
        .map((f) => [f.snapshot?.name, f.retention?.rank]);
      expect(ranks).toEqual([
        ['daily-8', 8],
        ['daily-9', 9],
        ['daily-10', 10],
      ]);
    }
    for (const f of snapshotFindings) {
      expect(f).toMatchObject({
        findingType: 'EXCESS_RETENTION',
        severity: 'low',
        rule: 'keep-seven-per-disk',
        retention: { keepNewest: 7, volumeId: f.snapshot?.volume_id },
      });
      expect(f.reason).toContain(`volume ${f.snapshot?.volume_id}`);
    }
    expect(summary).toMatchObject({
      complete: true,
      schemaVersion: '2.3',
      countsByFindingType: { EXCESS_RETENTION: excess.length },
      unprotectedVolumes: null,
    });
    // 15 backup snapshots ranked by nothing and flagged by nothing.
    expect(summary.protectedSnapshots).toBe(fleet.systemSnapshots.length);
  });

  it("leaves a snapshot another rule flags with that finding, and still counts it among the volume's snapshots", async () => {
    const { snapshotFindings } = await scan(policyFile('rules.yml', POLICY_FLEET_RULES));
    expect(new Map(snapshotFindings.map((f) => [f.snapshot?.id, f.findingType]))).toEqual(fleet.expected);
  });
});

describe("the cloud's own backup snapshots", () => {
  it('are never STALE nor EXCESS_RETENTION, whatever the policy says, and the summary counts them', async () => {
    // A policy that asks for exactly those snapshots, by name and by metadata.
    const greedy = `version: 1
rules:
  - name: old-backups
    finding: STALE
    severity: high
    match: { name: { pattern: "^autobk_snapshot_" }, age: { from: created_at, over: 1d } }
  - name: automatic
    finding: STALE
    severity: high
    match: { metadata: { __system__enableActive: { present: true } } }
  - name: keep-one
    finding: EXCESS_RETENTION
    severity: low
    match: { status: available, keepNewestPerVolume: 1 }
`;
    const { snapshotFindings, summary, result } = await scan(policyFile('greedy.yml', greedy), false);
    const flagged = new Set(snapshotFindings.map((f) => f.snapshot?.id));
    for (const s of fleet.systemSnapshots) expect(flagged.has(s)).toBe(false);
    expect(snapshotFindings.length).toBeGreaterThan(20);
    expect(summary.protectedSnapshots).toBe(fleet.systemSnapshots.length);
    expect(result.projects[0]?.byRule).toMatchObject({
      'old-backups': { findings: 0, protected: 12 },
      automatic: { findings: 0, protected: 3 },
      'keep-one': { protected: 15 },
    });
  });
});

describe('volumes with no recent snapshot (UNPROTECTED_VOLUME)', () => {
  it('opens a finding about each in-use volume with no snapshot in 7 days, once, and resolves it when a snapshot appears or the volume goes', async () => {
    const rules = policyFile('rules.yml', POLICY_FLEET_RULES);
    const first = await scan(rules);
    expect(first.volumeFindings.map((f) => f.volume?.id).sort()).toEqual([...fleet.unprotected].sort());
    for (const f of first.volumeFindings) {
      expect(f).toMatchObject({
        transition: 'OPENED',
        findingType: 'UNPROTECTED_VOLUME',
        severity: 'medium',
        rule: 'unprotected-disks',
        thresholdMinutes: 7 * 1_440,
        volume: { status: 'in-use', size: 40 },
      });
      expect(f.snapshot).toBeUndefined();
    }
    const eight = first.volumeFindings.find((f) => f.volume?.id === fleet.eightDaysOld);
    expect(eight?.ageMinutes).toBeGreaterThanOrEqual(8 * 1_440);
    expect(eight?.reason).toContain('8 days');
    expect(first.summary).toMatchObject({ complete: true, unprotectedVolumes: 2, opened: fleet.expected.size + 2 });
    // The findings API shows a volume's finding with its volume.
    const listed = await listFindings(
      { store: createFindingsStore({ tableName: dynamo.table }), allowedProjects: '*' },
      {
        projectId: PROJECT,
        params: [['finding_type', 'UNPROTECTED_VOLUME']],
        selfUrl: 'http://x/v2/p/findings',
        deadline: Date.now() + 10_000,
      },
    );
    expect(
      listed.findings.map((f) => [f.finding_type, f.state, f.volume_id, f.volume?.status, f.snapshot]).sort(),
    ).toEqual(fleet.unprotected.map((v) => ['UNPROTECTED_VOLUME', 'OPEN', v, 'in-use', undefined]).sort());

    // Unchanged: nothing new to say.
    const second = await scan(rules);
    expect(second.volumeFindings).toEqual([]);
    expect(second.summary).toMatchObject({ unprotectedVolumes: 2, opened: 0, open: fleet.expected.size + 2 });

    // A fresh snapshot of the 8-day-old volume, and the never-snapshotted volume deleted.
    const never = fleet.unprotected.find((v) => v !== fleet.eightDaysOld) as string;
    const fresh = {
      id: 'ffffffff-0000-4000-8000-000000000001',
      status: 'available',
      name: 'fresh',
      description: null,
      created_at: formatCinderTime(Date.now() - 60_000, 0),
      updated_at: null,
      metadata: {},
      volume_id: fleet.eightDaysOld,
      size: 40,
    };
    emulator.store.load({ ...fleet.project, snapshots: [fresh, ...fleet.project.snapshots] });
    expect(emulator.volumes.remove(PROJECT, never)).toBe(true);
    const third = await scan(rules);
    expect(third.volumeFindings.map((f) => [f.volume?.id, f.transition]).sort()).toEqual(
      [
        [fleet.eightDaysOld, 'RESOLVED'],
        [never, 'RESOLVED'],
      ].sort(),
    );
    expect(third.summary).toMatchObject({ unprotectedVolumes: 0, resolved: 2 });
  });

  it('says per rule what a policy flags, in snapshots or volumes and GB, for a dry run', async () => {
    const { result, settings } = await scan(policyFile('rules.yml', POLICY_FLEET_RULES), false);
    const table = formatRuleTally(result, settings.policy.document.rules);
    const excess = [...fleet.expected.values()].filter((t) => t === 'EXCESS_RETENTION').length;
    expect(table).toMatch(
      new RegExp(`keep-seven-per-disk +EXCESS_RETENTION +${excess} snapshots +${excess * 40} +15\\n`),
    );
    expect(table).toMatch(/stale +STALE +2 snapshots +80 +15\n/);
    expect(table).toMatch(/unprotected-disks +UNPROTECTED_VOLUME +2 volumes +80 +0$/);
  });
});
