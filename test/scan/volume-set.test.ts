import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VolumeSet } from '../../lib/scan/volume-set';

describe('the volume id set', () => {
  it('finds every id it was given and none it was not, through many growths', () => {
    const set = new VolumeSet();
    const inside = Array.from({ length: 50_000 }, () => randomUUID());
    for (const id of inside) set.add(id);
    for (const id of inside.slice(0, 1_000)) set.add(id);
    expect(set.size).toBe(50_000);
    expect(inside.every((id) => set.has(id))).toBe(true);
    const outside = Array.from({ length: 50_000 }, () => randomUUID());
    expect(outside.filter((id) => set.has(id))).toEqual([]);
    // Ids that are not UUIDs, and near misses.
    set.add('vol-1');
    expect([set.has('vol-1'), set.has('vol-2'), set.has('VOL-1'), set.has('')]).toEqual([true, false, false, false]);
  });
});
