import { describe, expect, it } from 'vitest';
import { render } from '../../../lib/notify/render/index';
import { FORGED_LINE, hostileDigest } from './hostile';
import { HOSTILE_NAMES, sampleDigest } from './sample-digest';

const sns = (digest = sampleDigest()) => {
  const r = render('sns', digest);
  if (r.kind !== 'sns') throw new Error('expected an SNS message');
  return r;
};

describe('the SNS message', () => {
  it('has a subject SNS accepts: printable ASCII, one line, at most 100 characters', () => {
    for (const digest of [sampleDigest(), hostileDigest()]) {
      const { subject } = sns(digest);
      expect(subject.length).toBeGreaterThan(0);
      expect(subject.length).toBeLessThanOrEqual(100);
      expect(subject).toMatch(/^[\u0020-\u007e]+$/);
    }
    expect(sns().subject).toBe(
      'EVS snapshots default: 23 new, 1 escalated, 1 reminded, 1 resolved, 1 failing, 1 recovered',
    );
    expect(sns(hostileDigest()).subject).toBe('EVS snapshots team RESOLVED route: 6 new, 6 escalated, 1 failing');
  });

  it('is text people read, not JSON: counts, open totals, money, 20 numbered findings, "and N more", health, links', () => {
    const { message } = sns();
    expect(() => JSON.parse(message)).toThrow();
    const lines = message.split('\n');
    expect(lines[0]).toBe('EVS snapshot digest for route "default"');
    expect(message).toContain(
      'Changes: 23 new, 1 escalated, 1 reminded, 1 resolved, 1 project failing, 1 project recovered (1860 GB)',
    );
    expect(message).toContain('Open now: 14 high, 9 medium, 41 low');
    expect(message).toContain('Cost: EUR 61.20/month in new findings, EUR 412.75/month open in total');
    expect(message).toMatch(/\n {2}high {3}ERROR_STATUS {2}12 new, 1 escalated, 1 reminded \(1480 GB\)\n/);
    expect(lines.filter((l) => /^ +\d+\. \[/.test(l))).toHaveLength(20);
    expect(lines.find((l) => l.startsWith('   1. '))).toMatch(/^ {3}1\. \[HIGH\] ERROR_STATUS reminded: "old-broken"/);
    expect(message).toContain('  ...and 6 more: https://api.example.com/prod/findings?route=default&state=open');
    expect(message).toContain(
      '  FAILING   staging/f9e8d7c6/eu-west-101: scans failing since 2026-12-05 08:45 UTC (UPSTREAM_UNAVAILABLE): Cinder answered 503 three times',
    );
    expect(message).toContain('Fleet report:  https://reports.example.com/fleet/latest.html');
    expect(message).toContain('"数据库备份-生产"');
  });

  it('keeps each hostile name on its own finding line: no forged line, no control or bidi character, capped', () => {
    const { message } = sns(hostileDigest());
    for (const line of message.split('\n')) expect(line).not.toMatch(FORGED_LINE);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(message).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
    expect(message).toContain('innocent RESOLVED ERROR_STATUS snapshot all-fine');
    expect(message).toContain('"redALERT title"');
    expect(message).toContain(HOSTILE_NAMES.chinese);
    expect(message).not.toContain('x'.repeat(201));
    expect(message.split('\n').filter((l) => /^ +\d+\. \[/.test(l))).toHaveLength(12);
  });
});
