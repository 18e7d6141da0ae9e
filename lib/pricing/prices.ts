/**
 * What snapshot storage costs: a price list and the pure functions that turn GB into money per
 * month. Shared by the fleet report, the scan summary and the notifier's digests, so every place
 * that shows money computes it the same way. No I/O here: lib/pricing/load.ts reads the file.
 */

/** Where a snapshot lives and what state it is in: what a price may depend on. */
export interface PriceKey {
  target: string;
  region: string;
  status: string;
}

export interface PriceRule extends Partial<PriceKey> {
  pricePerGbMonth: number;
}

/** A price file's content (lib/pricing/prices.schema.json). */
export interface PriceList {
  /** ISO 4217 code, e.g. USD. */
  currency: string;
  /** The price of one GB for one month, unless a rule says otherwise. */
  pricePerGbMonth: number;
  /** Checked in order; the first whose every given field matches wins. */
  rules?: readonly PriceRule[];
  note?: string;
}

/**
 * The figures are computed from the list API's `size`: the GB of the snapshot's source disk, not
 * the incremental storage the cloud bills. Neither EVS's nor Cinder's snapshot list returns a usage
 * figure, so every amount is an upper bound.
 */
export const MONEY_BASIS = 'size';

/** The price per GB-month of a snapshot in this place and state. */
export function priceOf(prices: PriceList, key: PriceKey): number {
  for (const rule of prices.rules ?? []) {
    if (
      (rule.target === undefined || rule.target === key.target) &&
      (rule.region === undefined || rule.region === key.region) &&
      (rule.status === undefined || rule.status === key.status)
    )
      return rule.pricePerGbMonth;
  }
  return prices.pricePerGbMonth;
}

/** What `gb` GB cost per month at this place and state; not rounded (round once, when shown). */
export function monthlyCost(prices: PriceList, key: PriceKey, gb: number): number {
  return gb * priceOf(prices, key);
}

/** The monthly cost of GB split by status in one place: `{available: {gb}}` → money. */
export function monthlyCostByStatus(
  prices: PriceList,
  where: Omit<PriceKey, 'status'>,
  byStatus: Readonly<Record<string, { gb: number }>>,
): number {
  let total = 0;
  for (const [status, v] of Object.entries(byStatus)) total += monthlyCost(prices, { ...where, status }, v.gb);
  return total;
}

/** Money to the cent (or the currency's hundredth), for showing and for contracts. */
export function roundMoney(amount: number): number {
  return Math.round((amount + Number.EPSILON) * 100) / 100;
}

/** `USD 1,234.56`: the code rather than a symbol, since a symbol can be ambiguous ($). */
export function formatMoney(currency: string, amount: number): string {
  return `${currency} ${roundMoney(amount).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A snapshot where it lives, as a finding or a digest names it. */
export interface PricedSnapshot {
  target: string;
  region: string;
  snapshot: { status: string; size: number };
}

/**
 * What these snapshots cost per month together, e.g. a digest's new findings (`money.newPerMonth`);
 * a size that is not a positive number counts as 0 GB, as in the report. Not rounded.
 */
export function monthlyCostOf(prices: PriceList, items: Iterable<PricedSnapshot>): number {
  let total = 0;
  for (const { target, region, snapshot } of items) {
    const gb =
      typeof snapshot.size === 'number' && Number.isFinite(snapshot.size) && snapshot.size > 0 ? snapshot.size : 0;
    total += monthlyCost(prices, { target, region, status: snapshot.status }, gb);
  }
  return total;
}
