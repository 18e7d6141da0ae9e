import type { FindingType } from '../../lib/domain/finding';
import type { Snapshot } from '../../lib/domain/snapshot';
import { AUTOMATIC_SNAPSHOT_KEY } from '../../lib/domain/snapshot';

export interface FleetOptions {
  seed?: number | string;
  /** Snapshots in all, spread over the projects. */
  size: number;
  /** How many projects, or their ids. */
  projects?: number | string[];
  /** The instant ages are measured from (epoch ms). */
  now?: number;
  /**
   * Scales the share of snapshots meant to be flagged (about 31% at 1, which covers every
   * category well); 0.05 gives a fleet closer to a healthy production one (about 1.5%).
   */
  problemScale?: number;
  /** Only statuses real Cinder accepts (no `rollbacking`, no made-up ones), so Cinder can hold the same data. */
  cinderCompatible?: boolean;
}

/** A volume (EVS disk) as the volume list shows it. */
export interface FleetVolume {
  id: string;
  name: string;
  status: string;
  size: number;
  created_at: string;
}

export interface FleetProject {
  projectId: string;
  /** Sorted the way Cinder lists: created_at desc, id desc. */
  snapshots: Snapshot[];
  /**
   * The project's volumes that still exist. Snapshots whose `volume_id` is not among them are
   * orphans (their disk was deleted). Without it, every volume a snapshot names exists.
   */
  volumes?: FleetVolume[];
  /** Volumes that were deleted, which some snapshots still name (Cinder keeps them soft-deleted). */
  deletedVolumes?: FleetVolume[];
}

export interface Fleet {
  now: number;
  projects: FleetProject[];
  /**
   * What the generator meant each snapshot to be under the default policy: the finding
   * type for the ones a scan must flag. Chosen before the fields, with margins away from
   * every threshold, so it is an independent answer key rather than a re-run of the classifier.
   * An `available` snapshot whose volume was deleted is ORPHANED (the default policy checks
   * that before STALE).
   */
  expected: Map<string, FindingType>;
}

const MINUTE = 60_000;
const DAY = 1_440 * MINUTE;

/**
 * The built-in policy's limits, written out here on purpose: the answer key must not be computed
 * by the code it checks (lib/policy/default-policy.json says the same in its own format).
 */
const STALE_AFTER_DAYS = 90;
const STUCK_AFTER_MINUTES: Readonly<Record<string, number>> = {
  creating: 60,
  deleting: 60,
  rollbacking: 360,
  'backing-up': 1440,
  restoring: 360,
  unmanaging: 60,
};

/** mulberry32: small, fast and deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function seedNumber(seed: number | string): number {
  if (typeof seed === 'number') return seed;
  let h = 2_166_136_261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16_777_619);
  return h >>> 0;
}

function hex(random: () => number, length: number): string {
  let out = '';
  while (out.length < length)
    out += Math.floor(random() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, length);
}

function uuid(random: () => number): string {
  const h = hex(random, 32);
  const variant = '89ab'[Math.floor(random() * 4)];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Cinder's own format: UTC, microseconds, no zone suffix. */
export function formatCinderTime(epochMs: number, micros: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}`;
}

function between(random: () => number, low: number, high: number): number {
  return low + random() * (high - low);
}

const NAMES = ['daily', 'weekly', 'before-upgrade', 'db-backup', 'test01', 'manual', '快照-数据盘', 'nightly build'];
const TRANSITIONAL = ['creating', 'deleting', 'rollbacking', 'backing-up', 'restoring', 'unmanaging'] as const;

/** A deterministic fleet: the same options always give the same snapshots and the same answer key. */
export function generateFleet(options: FleetOptions): Fleet {
  const random = prng(seedNumber(options.seed ?? 1));
  const now = options.now ?? Date.UTC(2026, 11, 1, 12, 0, 0);
  const projectIds =
    typeof options.projects === 'object'
      ? options.projects
      : Array.from({ length: options.projects ?? 2 }, () => hex(random, 32));
  const transitional = TRANSITIONAL.filter((s) => !(options.cinderCompatible && s === 'rollbacking'));
  const unknown = options.cinderCompatible ? ['deleted', 'updating'] : ['deleted', 'updating', 'frozen'];
  const staleAge = STALE_AFTER_DAYS * DAY;
  const expected = new Map<string, FindingType>();
  // Volumes draw from a generator of their own, so the snapshots of a seed stay what they were.
  const side = prng(seedNumber(`${options.seed ?? 1}/volumes`));

  const projects: FleetProject[] = projectIds.map((projectId, index) => {
    const count = Math.floor(options.size / projectIds.length) + (index < options.size % projectIds.length ? 1 : 0);
    const volumes = Array.from({ length: Math.max(1, Math.ceil(count / 8)) }, () => uuid(random));
    const snapshots: Snapshot[] = [];
    for (let i = 0; i < count; i++) {
      const scale = options.problemScale ?? 1;
      // Only draws the extra number when scaling, so default fleets stay as they always were.
      const roll = scale < 1 && random() >= scale ? random() * 0.55 : random();
      let status: string;
      let createdAge: number;
      let updatedAge: number | null;
      let label: FindingType | undefined;
      let automatic = random() < 0.15;
      if (roll < 0.55) {
        status = 'available';
        createdAge = between(random, MINUTE, staleAge * 0.9);
        updatedAge = random() < 0.3 ? null : createdAge * random();
      } else if (roll < 0.68) {
        status = 'available';
        createdAge = between(random, staleAge * 1.1, 5 * 365 * DAY);
        updatedAge = random() < 0.3 ? null : createdAge * random();
        automatic = random() < 0.3;
        if (!automatic) label = 'STALE';
      } else if (roll < 0.75) {
        status = random() < 0.6 ? 'error' : 'error_deleting';
        createdAge = between(random, MINUTE, 3 * 365 * DAY);
        updatedAge = random() < 0.5 ? null : createdAge * random();
        label = 'ERROR_STATUS';
      } else if (roll < 0.97) {
        status = transitional[Math.floor(random() * transitional.length)] ?? 'creating';
        const threshold = (STUCK_AFTER_MINUTES[status] ?? 60) * MINUTE;
        const stuck = random() < 0.5;
        const measuredAge = stuck
          ? between(random, threshold * 1.2, threshold * 400)
          : between(random, 0, threshold * 0.8);
        if (random() < 0.4) {
          updatedAge = null;
          createdAge = measuredAge;
        } else {
          updatedAge = measuredAge;
          createdAge = measuredAge + between(random, 0, 400 * DAY);
        }
        if (stuck) label = 'STUCK';
      } else {
        status = unknown[Math.floor(random() * unknown.length)] ?? 'deleted';
        createdAge = between(random, MINUTE, 365 * DAY);
        updatedAge = random() < 0.5 ? null : createdAge * random();
        label = 'UNKNOWN_STATUS';
      }
      const created_at = formatCinderTime(now - createdAge, Math.floor(random() * 1_000_000));
      const metadata: Record<string, string> = {};
      if (automatic) metadata[AUTOMATIC_SNAPSHOT_KEY] = 'true';
      if (random() < 0.2) metadata.owner = `team-${Math.floor(random() * 5)}`;
      const id = uuid(random);
      if (label) expected.set(id, label);
      snapshots.push({
        id,
        status,
        name: NAMES[Math.floor(random() * NAMES.length)] ?? 'daily',
        description: random() < 0.5 ? null : `snapshot ${i} of project ${index}`,
        created_at,
        updated_at: updatedAge === null ? null : formatCinderTime(now - updatedAge, Math.floor(random() * 1_000_000)),
        metadata,
        volume_id: volumes[Math.floor(random() * volumes.length)] ?? '',
        size: 1 + Math.floor(random() * 2_000),
      });
      // A few twins share the creation time (and so the category), exercising the sort's id tie-break.
      if (random() < 0.02 && i + 1 < count) {
        const twin = { ...(snapshots[snapshots.length - 1] as Snapshot), id: uuid(random), metadata: { ...metadata } };
        if (label) expected.set(twin.id, label);
        snapshots.push(twin);
        i++;
      }
    }
    snapshots.sort(compareCinderOrder);
    const { kept, deleted } = splitVolumes(snapshots, volumes, side, now, scale(options));
    for (const s of snapshots) if (s.status === 'available' && deleted.has(s.volume_id)) expected.set(s.id, 'ORPHANED');
    return { projectId, snapshots, volumes: kept, deletedVolumes: [...deleted.values()] };
  });
  return { now, projects, expected };
}

const scale = (options: FleetOptions) => options.problemScale ?? 1;

/**
 * Which volumes still exist: about 4% (times problemScale) of those the snapshots name were
 * deleted, and a few volumes have no snapshot at all. Drawn from their own generator, so the
 * snapshots of a seed are the same as before volumes existed.
 */
function splitVolumes(
  snapshots: Snapshot[],
  ids: string[],
  random: () => number,
  now: number,
  problemScale: number,
): { kept: FleetVolume[]; deleted: Map<string, FleetVolume> } {
  const oldest = new Map<string, Snapshot>();
  for (const s of snapshots) {
    const seen = oldest.get(s.volume_id);
    if (!seen || s.created_at < seen.created_at) oldest.set(s.volume_id, s);
  }
  const kept: FleetVolume[] = [];
  const deleted = new Map<string, FleetVolume>();
  const volume = (id: string, first: Snapshot | undefined): FleetVolume => ({
    id,
    name: `disk-${id.slice(0, 8)}`,
    status: random() < 0.6 ? 'in-use' : 'available',
    size: Math.max(first?.size ?? 10, 10 + Math.floor(random() * 500)),
    // A disk is older than its first snapshot.
    created_at: first
      ? formatCinderTime(Date.parse(`${first.created_at.slice(0, 19)}Z`) - Math.floor(random() * 30 * DAY), 0)
      : formatCinderTime(now - Math.floor(random() * 365 * DAY), 0),
  });
  for (const id of ids) {
    const first = oldest.get(id);
    const v = volume(id, first);
    if (first && random() < 0.04 * problemScale) deleted.set(id, { ...v, status: 'deleted' });
    else kept.push(v);
  }
  for (let i = 0; i < Math.ceil(ids.length / 10); i++) kept.push(volume(uuid(random), undefined));
  kept.sort(compareCinderOrder);
  return { kept, deleted };
}

/** `created_at desc, id desc`: Cinder's default list order, for snapshots and volumes alike. */
export function compareCinderOrder(
  a: { created_at: string; id: string },
  b: { created_at: string; id: string },
): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
