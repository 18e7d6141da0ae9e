/** The project id of the committed sample events. */
export const SAMPLE_PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
export const OTHER_PROJECT = 'f9e8d7c6b5a4938271605f4e3d2c1b0a';
/** Allowed by nobody: for 403 tests. */
export const FOREIGN_PROJECT = '11111111111111111111111111111111';

import type { FindingType } from '../../lib/domain/finding';
import { defaultPolicy } from '../../lib/policy/load';
import { createPolicy, judgeSnapshot, UNDETERMINED } from '../../lib/policy/policy';
import { VolumeSet } from '../../lib/scan/volume-set';
import type { FleetProject } from '../../tools/emulator/fleet';

/** What the built-in policy flags in a project at time `t` (its volumes as the emulator lists them). */
export function flaggedByDefaultPolicy(project: FleetProject, t: number): Map<string, FindingType> {
  const policy = createPolicy(defaultPolicy()).forProject('default', project.projectId);
  const volumes = new VolumeSet();
  for (const v of project.volumes ?? project.snapshots.map((s) => ({ id: s.volume_id }))) volumes.add(v.id);
  const out = new Map<string, FindingType>();
  for (const s of project.snapshots) {
    const verdict = judgeSnapshot(policy, s, t, volumes);
    if (verdict && verdict !== UNDETERMINED) out.set(s.id, verdict.type);
  }
  return out;
}
