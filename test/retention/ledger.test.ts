import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { type KeepSpec, RetentionLedger } from '../../lib/retention/ledger';
import { VolumeSet } from '../../lib/scan/volume-set';
import { formatCinderTime } from '../../tools/emulator/fleet';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 6, 12, 0, 0); // a Sunday
const keep = (k: Partial<KeepSpec>): KeepSpec => ({ newest: 0, daily: 0, weekly: 0, monthly: 0, ...k });
const snap = (id: string, volume: string, ageMs: number, name: string | null = 'daily'): Snapshot => ({
  id,
  status: 'available',
  name,
  description: 'd',
  created_at: formatCinderTime(NOW - ageMs, 0),
  updated_at: null,
  metadata: { owner: 'x' },
  volume_id: volume,
  size: 20,
});
const uuid = (n: number) => `0000${n.toString(16).padStart(4, '0')}-0000-4000-8000-000000000000`;

/** After the listing: each out-of-order volume ranked from its snapshots listed again (here: the same ones). */
const decideAll = (ledger: RetentionLedger, snapshots: Snapshot[]) =>
  ledger.disorderedVolumeIds().flatMap((v) =>
    ledger.decide(
      v,
      snapshots
        .filter((s) => s.volume_id === v)
        .map((s) => ({ snapshot: s, createdMs: Date.parse(`${s.created_at}Z`) })),
    ),
  );

/** Feeds snapshots in the order given; returns the ids announced on arrival and those decided after the listing, with ranks. */
function run(snapshots: Snapshot[], spec: KeepSpec) {
  const ledger = new RetentionLedger(spec, NOW, new VolumeSet());
  const onArrival: Array<[string, number]> = [];
  for (const s of snapshots) {
    const rank = ledger.observe(s, Date.parse(`${s.created_at}Z`), false);
    if (rank > 0) onArrival.push([s.id, rank]);
  }
  const late = decideAll(ledger, snapshots).map((e) => [e.snapshot.id, e.rank] as [string, number]);
  return { onArrival, late, all: new Map([...onArrival, ...late]) };
}

// Two volumes of 10 daily snapshots, interleaved, newest first (Cinder's order).
const tens = Array.from({ length: 10 }, (_, i) => [
  snap(uuid(i), 'vol-a', (i + 1) * DAY),
  snap(uuid(100 + i), 'vol-b', (i + 1) * DAY + 1_000),
]).flat();

describe('the retention ranking', () => {
  it('announces the 3 oldest of each volume of 10 on arrival when listed newest first, keeping 7', () => {
    const { onArrival, late } = run(tens, keep({ newest: 7 }));
    expect(onArrival).toEqual(
      [7, 8, 9].flatMap((i) => [
        [uuid(i), i + 1],
        [uuid(100 + i), i + 1],
      ]),
    );
    expect(late).toEqual([]);
  });

  it('decides the same snapshots after the listing when a volume is listed out of order, from the volume listed again', () => {
    const shuffled = [...tens].reverse();
    const { onArrival, late, all } = run(shuffled, keep({ newest: 7 }));
    expect(onArrival).toEqual([]);
    expect(all).toEqual(
      new Map(
        [7, 8, 9].flatMap((i) => [
          [uuid(i), i + 1],
          [uuid(100 + i), i + 1],
        ]),
      ),
    );
    const ledger = new RetentionLedger(keep({ newest: 7 }), NOW, new VolumeSet());
    for (const s of shuffled) ledger.observe(s, Date.parse(`${s.created_at}Z`), false);
    const first = decideAll(ledger, shuffled).find((e) => e.snapshot.id === uuid(9));
    // The snapshot as listed, metadata and all.
    expect(first?.snapshot).toEqual(snap(uuid(9), 'vol-a', 10 * DAY));
    // A snapshot created since the listing takes a rank (the 7th newest becomes 8th) but is not announced itself: the next scan sees it.
    const again = new RetentionLedger(keep({ newest: 7 }), NOW, new VolumeSet());
    for (const s of shuffled) again.observe(s, Date.parse(`${s.created_at}Z`), false);
    const relisted = [snap(uuid(999), 'vol-a', 1_000), ...shuffled.filter((s) => s.volume_id === 'vol-a')];
    expect(
      again
        .decide(
          'vol-a',
          relisted.map((s) => ({ snapshot: s, createdMs: Date.parse(`${s.created_at}Z`) })),
        )
        .map((e) => [e.snapshot.id, e.rank]),
    ).toEqual([
      [uuid(6), 8],
      [uuid(7), 9],
      [uuid(8), 10],
      [uuid(9), 11],
    ]);
    expect(late.length).toBe(6);
  });

  it('never announces a snapshot twice, and one another rule flagged takes its rank but is not announced', () => {
    const ledger = new RetentionLedger(keep({ newest: 1 }), NOW, new VolumeSet());
    const [a, b, c] = [snap(uuid(1), 'v', DAY), snap(uuid(2), 'v', 2 * DAY), snap(uuid(3), 'v', 3 * DAY)] as [
      Snapshot,
      Snapshot,
      Snapshot,
    ];
    expect(ledger.observe(a, NOW - DAY, false)).toBe(0);
    expect(ledger.observe(b, NOW - 2 * DAY, true)).toBe(0);
    expect(ledger.observe(c, NOW - 3 * DAY, false)).toBe(3);
    expect(ledger.disorderedVolumeIds()).toEqual([]);
  });

  it('keeps the newest of each of the last D days, W weeks and M months besides the newest N', () => {
    // Two snapshots a day for 100 days: keep 2, the newest of each of 7 days, 4 weeks, 3 months.
    const many = Array.from({ length: 200 }, (_, i) =>
      snap(uuid(i), 'v', Math.floor(i / 2) * DAY + (i % 2) * 3_600_000 + 60_000),
    );
    const kept = (spec: KeepSpec) => {
      const { all } = run(many, spec);
      return many.filter((s) => !all.has(s.id)).map((s) => s.created_at.slice(0, 10));
    };
    expect(kept(keep({ newest: 2 }))).toEqual(['2026-12-06', '2026-12-06']);
    expect(kept(keep({ daily: 7 }))).toEqual([
      '2026-12-06',
      '2026-12-05',
      '2026-12-04',
      '2026-12-03',
      '2026-12-02',
      '2026-12-01',
      '2026-11-30',
    ]);
    // Weeks run Monday to Sunday: 2026-12-06 is a Sunday, so this week's newest is today's.
    expect(kept(keep({ weekly: 4 }))).toEqual(['2026-12-06', '2026-11-29', '2026-11-22', '2026-11-15']);
    expect(kept(keep({ monthly: 3 }))).toEqual(['2026-12-06', '2026-11-30', '2026-10-31']);
    // Out of order, the same keeps.
    const { all } = run([...many].reverse(), keep({ monthly: 3 }));
    expect(many.filter((s) => !all.has(s.id)).map((s) => s.created_at.slice(0, 10))).toEqual([
      '2026-12-06',
      '2026-11-30',
      '2026-10-31',
    ]);
  });

  it('ranks snapshots whose ids are not UUIDs', () => {
    const odd = [snap('snap-1', 'v', 3 * DAY, 'x'), snap('snap-2', 'v', 2 * DAY, null), snap('SNAP/3', 'v', DAY, 'z')];
    const ledger = new RetentionLedger(keep({ newest: 1 }), NOW, new VolumeSet());
    for (const s of odd) ledger.observe(s, Date.parse(`${s.created_at}Z`), false);
    expect(decideAll(ledger, odd).map((e) => [e.snapshot.id, e.rank])).toEqual([
      ['snap-2', 2],
      ['snap-1', 3],
    ]);
  });
});
