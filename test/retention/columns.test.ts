import { describe, expect, it } from 'vitest';
import { TextColumn } from '../../lib/retention/columns';

describe('TextColumn', () => {
  it('reads back every value exactly as given: null, empty, Latin-1, other scripts, lone surrogates and long values', () => {
    const values: Array<string | null> = [
      null,
      '',
      'disk-00012345',
      '2026-12-01T10:00:00.000000',
      'café ñ',
      '数据盘',
      'bad \ud800 half',
      'x'.repeat(70_000),
      'y'.repeat(40_000),
    ];
    const column = new TextColumn();
    for (const [i, v] of values.entries()) column.set(i, v);
    for (const [i, v] of values.entries()) expect(column.get(i)).toBe(v);
  });

  it('keeps a hundred thousand values across many chunks in the order they were set', () => {
    const column = new TextColumn();
    for (let i = 0; i < 100_000; i++) column.set(i, i % 7 === 0 ? null : `vol-${i}-${'z'.repeat(i % 50)}`);
    for (let i = 0; i < 100_000; i += 997)
      expect(column.get(i)).toBe(i % 7 === 0 ? null : `vol-${i}-${'z'.repeat(i % 50)}`);
    expect(column.get(99_999)).toBe(`vol-99999-${'z'.repeat(99_999 % 50)}`);
  });
});
