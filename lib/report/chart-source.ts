import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The UMD build's place: beside the package's CommonJS entry (the package does not export its path). */
export function chartJsPath(): string {
  return join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');
}

/**
 * Chart.js's UMD build (MIT), inlined into the HTML report so the page needs no network. Read from
 * node_modules here; the Lambda bundle replaces this module with one holding the text
 * (deploy/esbuild-plugins.cjs), since a bundle has no node_modules to read.
 */
export function chartJsSource(): string {
  return readFileSync(chartJsPath(), 'utf8');
}
