import type { Snapshot } from '../../lib/domain/snapshot';
import type { FindingType } from '../../lib/domain/finding';
import { AUTOMATIC_SNAPSHOT_KEY } from '../../lib/domain/snapshot';
import { DEFAULT_POLICY } from '../../lib/domain/policy';

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

export interface FleetProject {
  projectId: string;
  /** Sorted the way Cinder lists: created_at desc, id desc. */
  snapshots: Snapshot[];
}

export interface Fleet {
  now: number;
  projects: FleetProject[];
  /**
   * What the generator meant each snapshot to be under the default policy: the finding
   * type for the ones a scan must flag. Chosen before the fields, with margins away from
   * every threshold, so it is an independent answer key rather than a re-run of the classifier.
   */
  expected: Map<string, FindingType>;
}

const MINUTE = 60_000;
const DAY = 1_440 * MINUTE;

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
  while (out.length < length) out += Math.floor(random() * 0x1_0000_0000).toString(16).padStart(8, '0');
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
  const staleAge = DEFAULT_POLICY.staleAfterDays * DAY;
  const expected = new Map<string, FindingType>();

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
        const threshold = (DEFAULT_POLICY.stuckAfterMinutes[status] ?? 60) * MINUTE;
        const stuck = random() < 0.5;
        const measuredAge = stuck ? between(random, threshold * 1.2, threshold * 400) : between(random, 0, threshold * 0.8);
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
    return { projectId, snapshots };
  });
  return { now, projects, expected };
}

/** `created_at desc, id desc`: Cinder's default list order. */
export function compareCinderOrder(a: Snapshot, b: Snapshot): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
