/**
 * Price files: the smallest one works as written, rules pick prices by target, region and status,
 * and a wrong file is refused with its name, line and field.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config/env';
import { loadPricesFile, parsePrices } from '../../lib/pricing/load';
import {
  formatMoney,
  monthlyCost,
  monthlyCostByStatus,
  monthlyCostOf,
  priceOf,
  roundMoney,
} from '../../lib/pricing/prices';

const where = { target: 'default', region: 'eu-de', status: 'available' };

describe('a price file', () => {
  it('works as written with only a currency and a price per GB-month', () => {
    const prices = parsePrices('currency: USD\npricePerGbMonth: 0.05\n', 'prices.yml');
    expect(prices).toEqual({ currency: 'USD', pricePerGbMonth: 0.05 });
    expect(roundMoney(monthlyCost(prices, where, 1_234))).toBe(61.7);
    expect(formatMoney(prices.currency, 1_234_567.891)).toBe('USD 1,234,567.89');
  });

  it("prices a digest's findings as the report prices them, a size that is not a positive number as 0 GB", () => {
    const prices = parsePrices(
      'currency: USD\npricePerGbMonth: 0.05\nrules: [{ status: error, pricePerGbMonth: 0.02 }]\n',
      'p.yml',
    );
    const items = [
      { target: 'a', region: 'r', snapshot: { status: 'available', size: 100 } },
      { target: 'a', region: 'r', snapshot: { status: 'error', size: 50 } },
      { target: 'a', region: 'r', snapshot: { status: 'available', size: -3 } },
      { target: 'a', region: 'r', snapshot: { status: 'available', size: Number.NaN } },
    ];
    expect(roundMoney(monthlyCostOf(prices, items))).toBe(6);
  });

  it('reads JSON too', () => {
    expect(parsePrices('{"currency": "EUR", "pricePerGbMonth": 0.04}', 'prices.json').currency).toBe('EUR');
  });

  it('prices by the first rule whose every field matches, else the default price', () => {
    const prices = parsePrices(
      [
        'currency: CNY',
        'pricePerGbMonth: 0.7',
        'rules:',
        '  - { target: otc, status: error, pricePerGbMonth: 0 }',
        '  - { region: cn-north-4, pricePerGbMonth: 0.5 }',
        '  - { target: otc, pricePerGbMonth: 0.6 }',
      ].join('\n'),
      'p.yml',
    );
    expect(priceOf(prices, { target: 'otc', region: 'eu-de', status: 'error' })).toBe(0);
    expect(priceOf(prices, { target: 'otc', region: 'eu-de', status: 'available' })).toBe(0.6);
    expect(priceOf(prices, { target: 'otc', region: 'cn-north-4', status: 'available' })).toBe(0.5);
    expect(priceOf(prices, { target: 'hw', region: 'ap-1', status: 'error' })).toBe(0.7);
    expect(
      monthlyCostByStatus(prices, { target: 'otc', region: 'eu-de' }, { error: { gb: 100 }, available: { gb: 10 } }),
    ).toBeCloseTo(6, 10);
  });

  it.each([
    ['currency: usd\npricePerGbMonth: 0.05\n', /^bad\.yml:1:11: currency must match pattern/],
    ['currency: USD\npricePerGbMonth: -1\n', /^bad\.yml:2:18: pricePerGbMonth must be >= 0/],
    ['currency: USD\n', /^bad\.yml:1:1: \(top level\) is missing "pricePerGbMonth"/],
    [
      'currency: USD\npricePerGbMonth: 0.05\nrules:\n  - { target: a, pricePerGbMonth: 1, price: 1 }\n',
      /^bad\.yml:4:45: rules\[0\]\.price is not a field of this object/,
    ],
    [
      'currency: USD\npricePerGbMonth: 0.05\nrules:\n  - { target: a }\n',
      /^bad\.yml:4:5: rules\[0\] is missing "pricePerGbMonth"/,
    ],
    ['currency: USD\npricePerGbMonth: "cheap"\n', /^bad\.yml:2:18: pricePerGbMonth must be number/],
    ['currency: USD\n  pricePerGbMonth: 0.05\n', /^bad\.yml:\d+:\d+: not valid YAML or JSON/],
  ])('refuses %j, naming the file, line and field', (text, message) => {
    expect(() => parsePrices(text, 'bad.yml')).toThrow(ConfigError);
    expect(() => parsePrices(text, 'bad.yml')).toThrow(message);
  });

  it('that cannot be read is named', () => {
    expect(() => loadPricesFile('/no/such/prices.yml', '--prices names')).toThrow(
      '--prices names /no/such/prices.yml cannot be read (ENOENT)',
    );
  });

  it('is shipped as an example whose figures say they are examples to replace', () => {
    const text = readFileSync('prices/example.yml', 'utf8');
    const prices = loadPricesFile('prices/example.yml');
    expect(text.split('\n')[0]).toMatch(/EXAMPLE PRICES: REPLACE EVERY FIGURE/);
    expect(prices.note).toMatch(/^Example prices/);
    // Every line with a figure says it is an example.
    for (const line of text
      .split('\n')
      .filter((l) => /pricePerGbMonth: [\d.]+/.test(l) && !l.trimStart().startsWith('#')))
      expect(line).toMatch(/EXAMPLE|rules:|^\s*pricePerGbMonth: [\d.]+\s*$/);
    expect(prices.rules?.length).toBeGreaterThan(0);
  });
});
