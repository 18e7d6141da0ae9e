/** Writes the fleet both upstreams are loaded with: `tsx write-fleet.ts OUT.json`. */
import { writeFileSync } from 'node:fs';
import { generateFleet } from '../../../tools/emulator/fleet';
import { generatePolicyFleet } from '../../../tools/emulator/policy-fleet';

export const CINDER_PROJECTS = ['c1d2e3f4a5b60718293a4b5c6d7e8f90', '90f8e7d6c5b4a3928170f6e5d4c3b2a1'];
/** A third project, laid out for the retention, coverage and system-snapshot rules (tools/emulator/policy-fleet.ts). */
export const POLICY_PROJECT = '5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d';

const fleet = generateFleet({
  seed: 'cinder',
  size: 2_400,
  projects: CINDER_PROJECTS,
  now: Date.now(),
  cinderCompatible: true,
});
// One snapshot of the second project in error with an absurd size, as a hostile or broken upstream
// could list it: the scanner must report it as malformed and go on, not flag it or fail the project.
const second = fleet.projects[1];
const absurd = second?.snapshots.find((s) => s.status === 'error' && fleet.expected.get(s.id) === 'ERROR_STATUS');
if (!absurd) throw new Error('the cinder fleet has no snapshot in error in its second project');
absurd.size = 1e200;
fleet.expected.delete(absurd.id);
const policy = generatePolicyFleet(POLICY_PROJECT, Date.now(), 'cinder');
writeFileSync(
  process.argv[2] as string,
  JSON.stringify({
    now: fleet.now,
    projects: [...fleet.projects, policy.project],
    expected: [...fleet.expected],
    malformed: [absurd.id],
    policy: {
      projectId: POLICY_PROJECT,
      expected: [...policy.expected],
      unprotected: policy.unprotected,
      eightDaysOld: policy.eightDaysOld,
      tenSnapshotVolumes: policy.tenSnapshotVolumes,
      systemSnapshots: policy.systemSnapshots,
    },
  }),
);
