import { readFileSync } from 'node:fs';
import { lazyValidator, readConfigDocument } from '../config/config-file';
import { ConfigError } from '../config/env';
import type { PriceList } from './prices';
import schema from './prices.schema.json';

const validate = lazyValidator(schema);

/**
 * Reads a price file (YAML or JSON) and checks it against prices.schema.json; every error names
 * the file, line and column, and the field. `currency: USD` and `pricePerGbMonth: 0.05` are enough.
 */
export function parsePrices(text: string, source: string): PriceList {
  const { value } = readConfigDocument<PriceList>(text, source, validate);
  return value;
}

/** The price file at `path`, read and checked; a file that cannot be read is a ConfigError naming it. */
export function loadPricesFile(path: string, name = 'the price file'): PriceList {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${name} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parsePrices(text, path);
}
