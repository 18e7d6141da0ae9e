/**
 * Writes the project issue 22's acceptance runs `npm start` against (`tsx write-acceptance-fleet.ts
 * OUT.json`): 3,000 snapshots, 2,700 of them to be flagged (errors, stuck, orphaned, stale), in a
 * project of its own so the other suites' counts never see it. Every field is one Cinder accepts
 * through the seed path (seed.py).
 */
import { writeFileSync } from 'node:fs';
import type { FindingType } from '../../../lib/domain/finding';
import type { Snapshot } from '../../../lib/domain/snapshot';
import { type FleetProject, type FleetVolume, formatCinderTime } from '../../../tools/emulator/fleet';

const ACCEPTANCE_PROJECT = 'acce97a1c5b60718293a4b5c6d7e8f22';
const DAY = 86_400_000;
const now = Date.now();
const id = (kind: string, n: number) => `acce${kind}-0000-4000-8000-${String(n).padStart(12, '0')}`;
const volume = (n: number): FleetVolume => ({
  id: id('0001', n),
  name: `disk-${n}`,
  status: 'in-use',
  size: 100,
  created_at: formatCinderTime(now - 800 * DAY, 0),
});
const live = Array.from({ length: 40 }, (_, v) => volume(v));
const deleted = Array.from({ length: 10 }, (_, v) => volume(100 + v));

/** How many of each, in order: the answer key is the layout, not the classifier's output. */
const LAYOUT: Array<{ count: number; type: FindingType | null }> = [
  { count: 300, type: null },
  { count: 800, type: 'ERROR_STATUS' },
  { count: 700, type: 'STUCK' },
  { count: 400, type: 'ORPHANED' },
  { count: 800, type: 'STALE' },
];

const snapshots: Snapshot[] = [];
const expected: Array<[string, FindingType]> = [];
let n = 0;
for (const { count, type } of LAYOUT) {
  for (let i = 0; i < count; i++, n++) {
    // Ages well away from every threshold: healthy and orphaned ones are days old, stuck ones two days in creating/deleting, stale ones 100+ days.
    const ageDays = type === 'STALE' ? 100 + (i % 300) : type === 'STUCK' ? 2 : 1 + (i % 80);
    const status =
      type === 'ERROR_STATUS'
        ? i % 2
          ? 'error'
          : 'error_deleting'
        : type === 'STUCK'
          ? i % 2
            ? 'creating'
            : 'deleting'
          : 'available';
    const from = type === 'ORPHANED' ? deleted : live;
    const at = formatCinderTime(now - ageDays * DAY - n * 1_000, n % 1_000_000);
    const s: Snapshot = {
      id: id('0000', n),
      status,
      name: `acceptance-${n}`,
      description: null,
      created_at: at,
      updated_at: at,
      metadata: {},
      volume_id: from[n % from.length]?.id as string,
      size: 10 + (n % 50),
    };
    snapshots.push(s);
    if (type) expected.push([s.id, type]);
  }
}
const project: FleetProject = { projectId: ACCEPTANCE_PROJECT, snapshots, volumes: live, deletedVolumes: deleted };
writeFileSync(process.argv[2] as string, JSON.stringify({ projects: [project], expected }));
