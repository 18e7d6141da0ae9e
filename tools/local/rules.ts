import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../../events/rules/', import.meta.url));

/** The rule patterns serverless.yml deploys, read from the same files. */
export function loadRulePattern(name: 'notifications'): Record<string, unknown> {
  return JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as Record<string, unknown>;
}
