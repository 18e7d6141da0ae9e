import { describe, expect, it } from 'vitest';
import { render } from '../../../lib/notify/render/index';
import type { TeamsMessage } from '../../../lib/notify/render/teams';
import { cardProblems } from '../../helpers/adaptive-card';
import { FORGED_LINE, hostileDigest, longestDigest } from './hostile';
import { digestOf, HOSTILE_NAMES, noticeFinding, sampleDigest } from './sample-digest';

const teams = (digest = sampleDigest(), maxLines?: number) => {
  const r = render('teams', digest, maxLines === undefined ? {} : { maxLines });
  if (r.kind !== 'http-json') throw new Error('expected a JSON body');
  return r.body as TeamsMessage;
};

/** Every text a person reads in the card. */
function cardTexts(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(cardTexts);
  if (!node || typeof node !== 'object') return [];
  const o = node as Record<string, unknown>;
  const own = ['text', 'title', 'value'].filter((k) => typeof o[k] === 'string').map((k) => o[k] as string);
  return [...own, ...Object.values(o).flatMap((v) => (typeof v === 'object' ? cardTexts(v) : []))];
}

describe('the Teams message', () => {
  it('is checked by a validator that does reject a broken card (unknown element, action without url)', () => {
    const broken = {
      type: 'AdaptiveCard',
      version: '1.4',
      body: [{ type: 'Bogus' }],
      actions: [{ type: 'Action.OpenUrl', title: 'x' }],
    };
    expect(cardProblems(broken).length).toBeGreaterThanOrEqual(2);
  });

  it('is a workflow webhook message with one Adaptive Card that the adaptivecards package parses and validates without a problem', () => {
    const m = teams();
    expect(m.type).toBe('message');
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(m.attachments[0].content.version).toBe('1.4');
    expect(cardProblems(m.attachments[0].content)).toEqual([]);
  });

  it('states the counts, open totals, money, top 20 findings, "and N more", health and links', () => {
    const card = teams().attachments[0].content;
    const all = cardTexts(card.body).join('\n');
    expect(all).toContain('12 new, 1 escalated, 1 reminded (1480 GB)');
    expect(all).toContain('**Open now: 14 high, 9 medium, 41 low**');
    expect(all).toContain('EUR 61.20/month in new findings');
    expect(all.split('\n').filter((l) => /^\*\*(HIGH|MEDIUM|LOW)\*\* /.test(l))).toHaveLength(20);
    expect(all).toContain('…and 6 more');
    expect(all).toContain('**数据库备份-生产**');
    expect(all).toContain(
      'FAILING staging/f9e8d7c6/eu-west-101: scans failing since 2026-12-05 08:45 UTC \\(UPSTREAM\\_UNAVAILABLE\\)',
    );
    expect(card.actions?.map((a) => a.title)).toEqual(['Fleet report', 'All 26 findings']);
  });

  it('keeps hostile names inert and valid: escaped markdown, no mention, no link, no forged line, under 28 KB', () => {
    const m = teams(hostileDigest());
    const card = m.attachments[0].content;
    expect(cardProblems(card)).toEqual([]);
    expect(JSON.stringify(m).length).toBeLessThan(28_000);
    const all = cardTexts(card.body).join('\n');
    expect(all).not.toMatch(/<[a-z!/]/i);
    expect(all).not.toContain('[click](https://evil.example)');
    expect(all).toContain('\\*\\*bold\\*\\* \\[click\\]\\(https://evil.example\\) # heading \\_x\\_ \\`code\\`');
    expect(all).toContain('‹!channel› wake up');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(all).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
    for (const line of all.split('\n')) expect(line).not.toMatch(FORGED_LINE);
    for (const t of cardTexts(card.body)) expect(t.split('\n')).toHaveLength(1);
    expect(all).toContain(HOSTILE_NAMES.chinese);
    expect(all).not.toContain('x'.repeat(201));
  });

  it('stays valid and under 28 KB for 2,000 findings of 10,000-character names', () => {
    const long = Array.from({ length: 2_000 }, (_, i) =>
      noticeFinding(i + 1, {
        kind: 'new',
        type: 'STALE',
        severity: 'low',
        status: 'available',
        size: 1,
        name: '*_['.repeat(3_400),
        firstSeen: null,
      }),
    );
    const m = teams(digestOf(long));
    expect(cardProblems(m.attachments[0].content)).toEqual([]);
    expect(JSON.stringify(m).length).toBeLessThan(28_000);
  });

  it('lists fewer findings, and says how many more, when the longest text would pass 24,000 bytes', () => {
    const m = teams(longestDigest());
    const card = m.attachments[0].content;
    expect(cardProblems(card)).toEqual([]);
    expect(Buffer.byteLength(JSON.stringify(m))).toBeLessThanOrEqual(24_000);
    const listed = cardTexts(card.body).filter((t) => t.startsWith('**HIGH** ')).length;
    expect(listed).toBeGreaterThan(0);
    expect(listed).toBeLessThan(20);
    expect(cardTexts(card.body)).toContain(`…and ${100 - listed} more`);
  });
});
