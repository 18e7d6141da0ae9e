import { describe, expect, it } from 'vitest';
import { render } from '../../../lib/notify/render/index';
import { blocksText, SLACK_LIMITS, type SlackMessage } from '../../../lib/notify/render/slack';
import { FORGED_LINE, hostileDigest, longestDigest } from './hostile';
import { digestOf, HOSTILE_NAMES, noticeFinding, sampleDigest } from './sample-digest';

const slack = (digest = sampleDigest()) => {
  const r = render('slack', digest);
  if (r.kind !== 'http-json') throw new Error('expected a JSON body');
  return r.body as SlackMessage;
};

/** Every text object in the message, with the block type that holds it. */
function texts(message: SlackMessage): { block: string; text: string }[] {
  const out: { block: string; text: string }[] = [];
  for (const b of message.blocks) {
    if (b.type === 'header' || b.type === 'section')
      out.push({ block: b.type, text: (b as { text: { text: string } }).text.text });
    if (b.type === 'context')
      for (const e of (b as { elements: { text: string }[] }).elements) out.push({ block: 'context', text: e.text });
  }
  return out;
}

function expectWithinSlackLimits(message: SlackMessage): void {
  expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  expect(message.text.length).toBeGreaterThan(0);
  for (const t of texts(message)) {
    expect(t.text.length).toBeGreaterThan(0);
    expect(t.text.length).toBeLessThanOrEqual(
      t.block === 'header' ? SLACK_LIMITS.headerText : SLACK_LIMITS.sectionText,
    );
  }
  for (const b of message.blocks)
    if (b.type === 'context') expect((b as { elements: unknown[] }).elements.length).toBeLessThanOrEqual(10);
  expect(blocksText(message)).toBeLessThanOrEqual(12_000);
}

describe('the Slack message', () => {
  it('states the counts, open totals, money, top 20 findings, "and N more", health and links', () => {
    const m = slack();
    expectWithinSlackLimits(m);
    const all = texts(m)
      .map((t) => t.text)
      .join('\n');
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(all).toContain('*high* `ERROR_STATUS`: 12 new, 1 escalated, 1 reminded (1480 GB)');
    expect(all).toContain('Open now: 14 high, 9 medium, 41 low');
    expect(all).toContain('EUR 61.20/month in new findings, EUR 412.75/month open in total');
    expect(all.split('\n').filter((l) => /^:(red|large_orange|white)_circle: :/.test(l))).toHaveLength(20);
    expect(all).toContain(
      '…and 6 more: <https://api.example.com/prod/findings?route=default&amp;state=open|list them all>',
    );
    expect(all).toContain('`数据库备份-生产`');
    expect(all).toMatch(
      /:warning: `staging\/f9e8d7c6\/eu-west-101` scans failing since 2026-12-05 08:45 UTC \(UPSTREAM_UNAVAILABLE\)/,
    );
    expect(all).toContain('<https://reports.example.com/fleet/latest.html|Fleet report>');
  });

  it('marks every mrkdwn text verbatim so Slack parses no bare mention or link in it', () => {
    for (const b of slack().blocks)
      if (b.type === 'section') expect((b as { text: { verbatim?: boolean } }).text.verbatim).toBe(true);
  });

  it('stays within 50 blocks and 3,000 characters a section with 2,000 findings of maximal names', () => {
    const long = Array.from({ length: 2_000 }, (_, i) =>
      noticeFinding(i + 1, {
        kind: 'new',
        type: 'STALE',
        severity: 'low',
        status: 'available',
        size: 1,
        name: `名${'&<>'.repeat(5_000)}`,
        firstSeen: null,
        owner: '<!here>'.repeat(100),
      }),
    );
    const m = (render('slack', digestOf(long), { maxLines: 200 }) as { body: SlackMessage }).body;
    expectWithinSlackLimits(m);
  });

  it('leaves hostile names inert: no <!channel>, no forged link, no forged line, no control character', () => {
    const m = slack(hostileDigest());
    expectWithinSlackLimits(m);
    const all = [m.text, ...texts(m).map((t) => t.text)].join('\n');
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<https://evil.example');
    expect(all).toContain('&lt;!channel&gt; wake up');
    expect(all).toContain('&lt;https://evil.example|Click&gt;');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(all).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
    for (const line of all.split('\n')) expect(line).not.toMatch(FORGED_LINE);
    // Every angle bracket left is one this renderer wrote around a link it built.
    for (const m2 of all.matchAll(/<([^>]*)>/g)) expect(m2[1]).toMatch(/^https:\/\/(api|reports)\.example\.com\//);
    expect(all).toContain(`\`${HOSTILE_NAMES.chinese}\``);
    expect(all).not.toContain('x'.repeat(201));
    expect(all).toContain(`\`${'x'.repeat(79)}…\``);
  });

  it('lists fewer findings, and says how many more, when the longest text would pass 12,000 characters', () => {
    const m = slack(longestDigest());
    expectWithinSlackLimits(m);
    const all = texts(m)
      .map((t) => t.text)
      .join('\n');
    const listed = all.split('\n').filter((l) => l.startsWith(':red_circle: :arrow_double_up: ')).length;
    expect(listed).toBeGreaterThan(0);
    expect(listed).toBeLessThan(20);
    expect(all).toContain(`…and ${100 - listed} more`);
  });
});
