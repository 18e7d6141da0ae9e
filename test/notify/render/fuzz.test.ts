import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { render } from '../../../lib/notify/render/index';
import type { SlackMessage } from '../../../lib/notify/render/slack';
import type { TeamsMessage } from '../../../lib/notify/render/teams';
import { digestOf, noticeFinding } from './sample-digest';

const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');
// biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Every string inside a value. */
const strings = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];

/** A digest whose names, owners, reasons and descriptions are arbitrary strings. */
const arbitraryDigest = fc
  .array(
    fc.record({
      name: fc.string({ unit: 'binary', maxLength: 400 }),
      owner: fc.string({ unit: 'grapheme', maxLength: 60 }),
      reason: fc.string({ unit: 'binary', maxLength: 300 }),
    }),
    { minLength: 1, maxLength: 30 },
  )
  .map((rows) =>
    digestOf(
      rows.map((r, i) =>
        noticeFinding(
          i + 1,
          {
            kind: i % 3 === 0 ? 'resolved' : 'new',
            type: 'STUCK',
            severity: 'medium',
            status: 'deleting',
            size: 1,
            name: r.name,
            firstSeen: null,
            owner: r.owner,
          },
          { reason: r.reason },
        ),
      ),
    ),
  );

describe('every format, whatever the names', () => {
  it('keeps Slack within its limits, Teams cards valid, SNS subjects ASCII, and no control character in any human text', () => {
    fc.assert(
      fc.property(arbitraryDigest, (digest) => {
        const slack = (render('slack', digest) as { body: SlackMessage }).body;
        expect(slack.blocks.length).toBeLessThanOrEqual(50);
        for (const b of slack.blocks) {
          const t = (b as { text?: { text: string } }).text?.text;
          if (t !== undefined) expect(t.length).toBeLessThanOrEqual(b.type === 'header' ? 150 : 3_000);
        }
        expect(JSON.stringify(slack.blocks).match(/<(?!https:\/\/)/g)).toBeNull();

        const teams = (render('teams', digest) as { body: TeamsMessage }).body;
        const card = new AC.AdaptiveCard();
        const context = new AC.SerializationContext();
        card.parse(teams.attachments[0].content, context);
        expect(context.eventCount + card.validateProperties().validationEvents.length).toBe(0);

        const sns = render('sns', digest);
        if (sns.kind !== 'sns') throw new Error('expected an SNS message');
        expect(sns.subject).toMatch(/^[\u0020-\u007e]{1,100}$/);
        for (const text of [sns.message, ...strings(teams), ...strings(slack)])
          expect(text.replace(/\n/g, ' ')).not.toMatch(CONTROL);
        expect(sns.message.split('\n').filter((l) => /^ +\d+\. \[/.test(l))).toHaveLength(
          Math.min(20, digest.findings.length),
        );
      }),
      { numRuns: 60 },
    );
  });
});
