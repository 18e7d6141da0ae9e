import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { render } from '../../../lib/notify/render/index';
import { renderWebhook, type WebhookBody } from '../../../lib/notify/render/webhook';
import { hostileDigest } from './hostile';
import { digestOf, HOSTILE_NAMES, noticeFinding, sampleDigest } from './sample-digest';

const schema = JSON.parse(
  readFileSync(new URL('../../../events/schemas/notification.schema.json', import.meta.url), 'utf8'),
);
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
addFormats(ajv);
const validate = ajv.compile(schema);
const errors = (body: unknown) =>
  validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

describe('the generic webhook body', () => {
  it('validates against the committed notification schema for the sample digest', () => {
    const rendered = render('webhook', sampleDigest());
    expect(rendered.kind).toBe('http-json');
    expect(errors(rendered.kind === 'http-json' ? rendered.body : null)).toEqual([]);
  });

  it('carries every transition with its counts, open totals, money and links', () => {
    const digest = sampleDigest();
    const body = renderWebhook(digest);
    expect(body.findings).toHaveLength(digest.findings.length);
    expect(body.omittedFindings).toBe(0);
    expect(body.counts.reduce((n, c) => n + c.count, 0)).toBe(26);
    expect(body.openTotals).toEqual({ high: 14, medium: 9, low: 41 });
    expect(body.money?.openPerMonth).toBe(412.75);
    expect(body.links.findings).toContain('/findings?');
    expect(body.headline).toBe(
      'default: 23 new, 1 escalated, 1 reminded, 1 resolved, 1 project failing, 1 project recovered (1860 GB)',
    );
    expect(body.health.map((h) => h.kind)).toEqual(['failing', 'recovered']);
  });

  it('lists high findings first, then the oldest', () => {
    const body = renderWebhook(sampleDigest());
    const severities = body.findings.map((f) => f.severity);
    expect(severities.indexOf('medium')).toBeGreaterThan(severities.lastIndexOf('high'));
    const highs = body.findings.filter((f) => f.severity === 'high').map((f) => Date.parse(f.firstSeenAt ?? ''));
    expect(highs).toEqual([...highs].sort((a, b) => a - b));
  });

  it('lists at most 500 findings and counts the rest', () => {
    const many = Array.from({ length: 620 }, (_, i) =>
      noticeFinding(i + 1, {
        kind: 'new',
        type: 'STALE',
        severity: 'low',
        status: 'available',
        size: 1,
        name: `s${i}`,
        firstSeen: null,
      }),
    );
    const body = renderWebhook(digestOf(many));
    expect(body.findings).toHaveLength(500);
    expect(body.omittedFindings).toBe(120);
    expect(errors(body)).toEqual([]);
  });

  it('stays under 1,000,000 bytes when every field is as long as allowed, and counts what it left out', () => {
    const big = Object.fromEntries(
      Array.from({ length: 30 }, (_, k) => [`key-${k}-${'k'.repeat(100)}`, '数'.repeat(1_000)]),
    );
    const many = Array.from({ length: 500 }, (_, i) =>
      noticeFinding(
        i + 1,
        {
          kind: 'new',
          type: 'STALE',
          severity: 'low',
          status: 'available',
          size: 1,
          name: '名'.repeat(1_000),
          firstSeen: null,
          owner: '主'.repeat(1_000),
        },
        {
          reason: '因'.repeat(1_000),
          snapshot: { description: '述'.repeat(1_000), metadata: big } as never,
        },
      ),
    );
    const body = renderWebhook(digestOf(many));
    expect(errors(body)).toEqual([]);
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThanOrEqual(1_000_000);
    expect(body.findings.length).toBeGreaterThan(0);
    expect(body.omittedFindings).toBe(500 - body.findings.length);
    expect(body.omittedFindings).toBeGreaterThan(0);
  });

  it('keeps hostile names valid and one-line: no control, bidi or line-break character, capped, Chinese intact', () => {
    const body = renderWebhook(hostileDigest()) as WebhookBody;
    expect(errors(body)).toEqual([]);
    for (const f of body.findings) {
      for (const value of [
        f.snapshot.name ?? '',
        f.owner ?? '',
        f.reason,
        f.snapshot.description ?? '',
        ...Object.entries(f.snapshot.metadata ?? {}).flat(),
      ]) {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
        expect(value).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
      }
      expect(Array.from(f.snapshot.name ?? '').length).toBeLessThanOrEqual(255);
    }
    expect(body.findings.map((f) => f.snapshot.name)).toContain(HOSTILE_NAMES.chinese);
    expect(body.findings.map((f) => f.snapshot.name)).toContain(
      'innocent RESOLVED ERROR_STATUS snapshot all-fine in project x after 1 minutes open',
    );
  });
});
