import { createRequire } from 'node:module';

type Pattern = Record<string, unknown>;
// The module serverless.yml builds the deployed patterns with, so local rules match what is deployed.
const { rulePatterns } = createRequire(import.meta.url)('../../resources/rule-patterns.cjs') as {
  rulePatterns: (source: string) => Record<string, Pattern>;
};

/** The shipped rule patterns (events/rules/*.json), by file name, matching events from `source`. */
export function loadRulePatterns(source: string): Record<string, Pattern> {
  return rulePatterns(source);
}

/** One shipped rule's pattern, matching events from `source`. */
export function loadRulePattern(name: string, source: string): Pattern {
  const pattern = rulePatterns(source)[name];
  if (!pattern) throw new Error(`no rule file events/rules/${name}.json`);
  return pattern;
}
