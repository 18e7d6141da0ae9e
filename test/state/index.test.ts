import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decideSeen } from '../../lib/state/lifecycle';
import { FindingIndex } from '../../lib/state/records';

const id = (n: number) => createHash('sha256').update(String(n)).digest('hex').slice(0, 32);
const entry = (n: number) => ({
  findingId: id(n),
  findingType: 'STALE' as const,
  severity: 'low' as const,
  state: 'OPEN' as const,
  firstSeenAt: '2026-12-01T00:00:00.000Z',
  lastNotifiedAt: '2026-12-01T00:00:00.000Z',
});

describe('finding index', () => {
  it('finds every id it holds and no other, across growth, and gives each id back', () => {
    const index = new FindingIndex();
    for (let n = 0; n < 5_000; n++) index.add(entry(n));
    index.add(entry(7));
    expect(index.size).toBe(5_000);
    for (let n = 0; n < 5_000; n++) {
      const at = index.positionOf(id(n));
      expect(at).toBeDefined();
      expect(index.idAt(at as number)).toBe(id(n));
    }
    for (let n = 5_000; n < 6_000; n++) expect(index.positionOf(id(n))).toBeUndefined();
    // Same first 32 bits, different rest: still told apart.
    const twin = `${id(3).slice(0, 8)}${'0'.repeat(24)}`;
    expect(index.positionOf(twin)).toBeUndefined();
  });

  it('ignores items whose key is not a finding id, and ids it cannot parse', () => {
    const index = new FindingIndex();
    index.add({ ...entry(1), findingId: 'not-a-finding-id' });
    index.add({ ...entry(2), findingId: 'G'.repeat(32) });
    expect(index.size).toBe(0);
    expect(index.positionOf('x')).toBeUndefined();
  });

  it('decides OPENED for an unknown id, REMINDER after the interval, CHANGED on a new type', () => {
    const index = new FindingIndex();
    index.add(entry(1));
    const now = Date.parse('2026-12-02T01:00:00.000Z');
    const c = {
      type: 'STALE' as const,
      severity: 'low' as const,
      rule: 'stale',
      reason: 'r',
      thresholdMinutes: 1,
      ageMinutes: 2,
      measuredFrom: 'created_at' as const,
    };
    expect(decideSeen(index, index.positionOf(id(2)), c, now, { remindAfterMs: 0 }, 'stamp')).toMatchObject({
      kind: 'announce',
      transition: 'OPENED',
    });
    expect(decideSeen(index, index.positionOf(id(1)), c, now, { remindAfterMs: 0 }, 'stamp')).toEqual({
      kind: 'quiet',
      suppressed: false,
    });
    expect(
      decideSeen(index, index.positionOf(id(1)), c, now, { remindAfterMs: 24 * 3_600_000 }, 'stamp'),
    ).toMatchObject({ kind: 'announce', transition: 'REMINDER' });
    expect(
      decideSeen(
        index,
        index.positionOf(id(1)),
        { ...c, type: 'ERROR_STATUS', severity: 'high' },
        now,
        { remindAfterMs: 0 },
        'stamp',
      ),
    ).toMatchObject({ kind: 'announce', transition: 'CHANGED', previous: { findingType: 'STALE', severity: 'low' } });
  });
});
