import { describe, expect, it } from 'vitest';
import { runCapped } from '../../lib/core/scheduler';

/** A task per item that finishes when the test says so, recording what ran at once. */
function gated() {
  const open = new Map<string, () => void>();
  const started: string[] = [];
  let running = 0;
  let peak = 0;
  const perGroup = new Map<string, number>();
  const peakPerGroup = new Map<string, number>();
  const run = (item: { id: string; group: string }) =>
    new Promise<string>((resolve) => {
      started.push(item.id);
      running++;
      peak = Math.max(peak, running);
      const n = (perGroup.get(item.group) ?? 0) + 1;
      perGroup.set(item.group, n);
      peakPerGroup.set(item.group, Math.max(peakPerGroup.get(item.group) ?? 0, n));
      open.set(item.id, () => {
        running--;
        perGroup.set(item.group, (perGroup.get(item.group) ?? 1) - 1);
        resolve(`done ${item.id}`);
      });
    });
  const finish = async (id: string) => {
    open.get(id)?.();
    open.delete(id);
    // Let the scheduler start what the freed slot allows.
    await new Promise((r) => setTimeout(r, 0));
  };
  return { run, finish, started, peak: () => peak, peakPerGroup, open };
}

const items = [
  { id: 'a1', group: 'a' },
  { id: 'a2', group: 'a' },
  { id: 'a3', group: 'a' },
  { id: 'b1', group: 'b' },
  { id: 'c1', group: 'c' },
];

describe('the capped scheduler', () => {
  it("runs at most the overall limit and each group cap at once, starts items of other groups past a full one, and returns results in the items' order", async () => {
    const g = gated();
    const all = runCapped(items, { concurrency: 2, groupOf: (i) => i.group, caps: { a: 1 } }, g.run);
    await new Promise((r) => setTimeout(r, 0));
    // a2 and a3 wait for group a's one slot; b1 goes ahead of them.
    expect(g.started).toEqual(['a1', 'b1']);
    await g.finish('b1');
    expect(g.started).toEqual(['a1', 'b1', 'c1']);
    await g.finish('a1');
    expect(g.started).toEqual(['a1', 'b1', 'c1', 'a2']);
    await g.finish('c1');
    await g.finish('a2');
    await g.finish('a3');
    expect(await all).toEqual(['done a1', 'done a2', 'done a3', 'done b1', 'done c1']);
    expect(g.peak()).toBe(2);
    expect(g.peakPerGroup.get('a')).toBe(1);
  });

  it('runs one at a time when asked for none, and finishes at once with no items', async () => {
    const g = gated();
    const all = runCapped(items.slice(0, 2), { concurrency: 0, groupOf: (i) => i.group }, g.run);
    await new Promise((r) => setTimeout(r, 0));
    expect(g.started).toEqual(['a1']);
    await g.finish('a1');
    await g.finish('a2');
    expect(await all).toEqual(['done a1', 'done a2']);
    expect(await runCapped([], { concurrency: 3, groupOf: () => 'x' }, g.run)).toEqual([]);
  });

  it('fails the whole run when a task rejects, instead of waiting forever', async () => {
    await expect(
      runCapped(items, { concurrency: 2, groupOf: (i) => i.group }, async (i) => {
        if (i.id === 'b1') throw new Error('task failed');
        return i.id;
      }),
    ).rejects.toThrow('task failed');
  });
});
