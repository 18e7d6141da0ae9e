/** A digest whose every untrusted field carries one of the hostile names. */
import type { Digest } from '../../../lib/notify/model';
import { digestOf, HOSTILE_NAMES, noticeFinding } from './sample-digest';

export function hostileDigest(): Digest {
  const findings = Object.values(HOSTILE_NAMES).map((name, i) =>
    noticeFinding(
      i + 1,
      {
        kind: i % 2 ? 'new' : 'escalated',
        type: 'ERROR_STATUS',
        severity: 'high',
        status: 'error',
        size: 1,
        name,
        firstSeen: null,
        owner: name,
        previous: { findingType: 'STUCK', severity: 'medium' },
      },
      {
        reason: `status is error ${name}`,
        snapshot: { description: name, metadata: { owner: name, [`k\n${name}`]: name } } as never,
      },
    ),
  );
  return digestOf(findings, {
    route: 'team\nRESOLVED route',
    health: [
      {
        kind: 'failing',
        projectId: 'p',
        region: 'r',
        target: 't',
        failureCode: 'X\nRESOLVED',
        message: HOSTILE_NAMES.slackChannel,
        since: '2026-12-05T08:00:00.000Z',
        observedAt: '2026-12-05T09:15:00.000Z',
      },
    ],
  });
}

/** Lines a reader would take for a separate notice if a name could start one. */
export const FORGED_LINE = /^\s*(?:\d+\.\s*)?(?:RESOLVED|\[HIGH\] forged|RESOLVED u2028|RESOLVED u2029)/;

/** The longest text every field can hold: 100 escalations whose every cloud field is 10,000 characters of CJK or markdown. */
export function longestDigest(): Digest {
  const cjk = '数'.repeat(10_000);
  return digestOf(
    Array.from({ length: 100 }, (_, i) =>
      noticeFinding(
        i + 1,
        {
          kind: 'escalated',
          type: 'ERROR_STATUS',
          severity: 'high',
          status: cjk,
          size: 1,
          name: '*<&'.repeat(3_400),
          firstSeen: null,
          owner: cjk,
          previous: { findingType: cjk, severity: 'medium' },
        },
        { reason: cjk, projectId: cjk, region: cjk, target: cjk },
      ),
    ),
  );
}
