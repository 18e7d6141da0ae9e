/**
 * Writes the projects the cleanup suite deletes from (`tsx write-cleanup-fleet.ts OUT.json`),
 * apart from the listing fleet so deletions there never disturb the other suites.
 */
import { writeFileSync } from 'node:fs';
import type { Snapshot } from '../../../lib/domain/snapshot';
import { type FleetProject, formatCinderTime } from '../../../tools/emulator/fleet';

/** Marks then deletes (approval none); approvals and refusals (approval required); the 100 % brake. */
const CLEANUP_PROJECTS = {
  sweep: 'c0c0c0c0a5b60718293a4b5c6d7e8f01',
  approve: 'c0c0c0c0a5b60718293a4b5c6d7e8f02',
  brake: 'c0c0c0c0a5b60718293a4b5c6d7e8f03',
} as const;

const DAY = 86_400_000;
const now = Date.now();
let n = 0;
function project(
  projectId: string,
  old: string[],
  young: number,
  extra: Array<Partial<Snapshot> & { name: string }> = [],
): FleetProject & { volumes: NonNullable<FleetProject['volumes']> } {
  const volumes = [0, 1, 2].map((v) => ({
    id: `${projectId.slice(-8)}-0000-4000-8000-00000000000${v}`,
    name: `disk-${v}`,
    status: 'in-use',
    size: 20,
    created_at: formatCinderTime(now - 900 * DAY, 0),
  }));
  const make = (name: string, ageDays: number, over: Partial<Snapshot> = {}): Snapshot => {
    n++;
    return {
      id: `${projectId.slice(0, 8)}-0000-4000-a000-${String(n).padStart(12, '0')}`,
      status: 'available',
      name,
      description: null,
      created_at: formatCinderTime(now - ageDays * DAY, n),
      updated_at: formatCinderTime(now - ageDays * DAY, n),
      metadata: {},
      volume_id: volumes[n % 3]?.id as string,
      size: 10 + (n % 5),
      ...over,
    };
  };
  const snapshots = [
    ...old.map((name) => make(name, 400)),
    ...extra.map(({ name, ...over }) => make(name, 400, over)),
    ...Array.from({ length: young }, (_, i) => make(`daily-${i}`, i % 20)),
  ];
  return { projectId, snapshots, volumes };
}

const projects = [
  // The cloud's backup snapshots look old enough too, and an old one that is still being created.
  project(CLEANUP_PROJECTS.sweep, ['old-1', 'old-2', 'old-3'], 40, [
    { name: 'old-err', status: 'error' },
    { name: 'old-sys', metadata: { __system__enableActive: 'true' } },
    { name: 'old-creating', status: 'creating' },
  ]),
  project(CLEANUP_PROJECTS.approve, ['old-a', 'old-b', 'old-c', 'old-d', 'old-e'], 50),
  project(CLEANUP_PROJECTS.brake, ['old-x', 'old-y', 'old-z'], 0),
];
writeFileSync(process.argv[2] as string, JSON.stringify({ projects }));
