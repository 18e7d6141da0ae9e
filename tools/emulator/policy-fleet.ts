import type { FindingType } from '../../lib/domain/finding';
import { AUTOMATIC_SNAPSHOT_KEY, type Snapshot } from '../../lib/domain/snapshot';
import { compareCinderOrder, type FleetProject, type FleetVolume, formatCinderTime } from './fleet';

const DAY = 86_400_000;

/** A project laid out for the retention, coverage and system-snapshot rules, with its answer key. */
export interface PolicyFleet {
  project: FleetProject;
  /**
   * Under POLICY_FLEET_RULES (keep 7 per volume, STALE over 90 days, in-use volumes with no
   * snapshot in 7 days): the finding of each snapshot that gets one.
   */
  expected: Map<string, FindingType>;
  /** The in-use volumes with no snapshot in the last 7 days. */
  unprotected: string[];
  /** Volumes with 10 available snapshots and nothing else to flag: their 3 oldest are EXCESS_RETENTION. */
  tenSnapshotVolumes: string[];
  /** The in-use volume whose newest snapshot is 8 days old. */
  eightDaysOld: string;
  /** The cloud's own backup snapshots (autobk_snapshot_*, __system__enableActive), old and many: never flagged. */
  systemSnapshots: string[];
}

/** The rules the answer key is written for, as a policy file (the example plus STALE and coverage). */
export const POLICY_FLEET_RULES = `version: 1
rules:
  - name: keep-seven-per-disk
    finding: EXCESS_RETENTION
    severity: low
    match: { status: [available], keepNewestPerVolume: 7 }
  - name: stale
    finding: STALE
    severity: low
    match: { status: available, age: { from: created_at, over: 90d } }
  - name: unprotected-disks
    finding: UNPROTECTED_VOLUME
    severity: medium
    match: { volumeStatus: in-use, noSnapshotWithin: 7d }
`;

/**
 * A hand-laid project (deterministic ids from `tag`): three volumes with 10 daily snapshots each;
 * one whose two oldest of 10 are also past 90 days (STALE wins there, they still take their
 * ranks); one whose newest snapshot is 8 days old; an in-use volume never snapshotted, one too new
 * to judge, a detached one; and a volume of the backup service's snapshots, 12 named
 * autobk_snapshot_* and 3 with __system__enableActive, all past 90 days.
 */
export function generatePolicyFleet(projectId: string, now: number, tag = 'policy'): PolicyFleet {
  let counter = 0;
  const id = () => {
    const n = (counter++).toString(16).padStart(12, '0');
    const t = [...tag].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16_777_619), 2_166_136_261) >>> 0;
    return `${t.toString(16).padStart(8, '0')}-0000-4000-8000-${n}`;
  };
  const at = (ms: number) => formatCinderTime(ms, 0);
  const volumes: FleetVolume[] = [];
  const snapshots: Snapshot[] = [];
  const expected = new Map<string, FindingType>();
  const volume = (status: string, ageDays: number): string => {
    const v = id();
    volumes.push({ id: v, name: `disk-${v.slice(-4)}`, status, size: 40, created_at: at(now - ageDays * DAY) });
    return v;
  };
  const snapshot = (volumeId: string, ageMs: number, name: string, metadata: Record<string, string> = {}): string => {
    const s = id();
    snapshots.push({
      id: s,
      status: 'available',
      name,
      description: null,
      created_at: at(now - ageMs),
      updated_at: null,
      metadata,
      volume_id: volumeId,
      size: 40,
    });
    return s;
  };

  const tenSnapshotVolumes = [volume('in-use', 400), volume('in-use', 400), volume('available', 400)];
  for (const v of tenSnapshotVolumes) {
    // Newest first: 1 to 10 days old, an hour apart from the day so no two share a time.
    const ids = Array.from({ length: 10 }, (_, i) => snapshot(v, (i + 1) * DAY - 3_600_000, `daily-${i + 1}`));
    for (const s of ids.slice(7)) expected.set(s, 'EXCESS_RETENTION');
  }
  const mixed = volume('in-use', 400);
  const mixedIds = [1, 2, 3, 4, 5, 6, 7, 8, 95, 96].map((d) => snapshot(mixed, d * DAY, `mixed-${d}`));
  expected.set(mixedIds[7] as string, 'EXCESS_RETENTION');
  expected.set(mixedIds[8] as string, 'STALE');
  expected.set(mixedIds[9] as string, 'STALE');

  const eightDaysOld = volume('in-use', 400);
  snapshot(eightDaysOld, 8 * DAY, 'weekly-1');
  snapshot(eightDaysOld, 9 * DAY, 'weekly-2');
  const never = volume('in-use', 30);
  volume('in-use', 1);
  const detached = volume('available', 300);
  snapshot(detached, 30 * DAY, 'old-but-fine');

  const backups = volume('available', 900);
  const systemSnapshots = [
    ...Array.from({ length: 12 }, (_, i) => snapshot(backups, (100 + i) * DAY, `autobk_snapshot_${i + 1}`)),
    ...Array.from({ length: 3 }, (_, i) =>
      snapshot(backups, (200 + i) * DAY, `server-backup-${i + 1}`, { [AUTOMATIC_SNAPSHOT_KEY]: 'true' }),
    ),
  ];

  snapshots.sort(compareCinderOrder);
  volumes.sort(compareCinderOrder);
  return {
    project: { projectId, snapshots, volumes, deletedVolumes: [] },
    expected,
    unprotected: [eightDaysOld, never],
    tenSnapshotVolumes,
    eightDaysOld,
    systemSnapshots,
  };
}
