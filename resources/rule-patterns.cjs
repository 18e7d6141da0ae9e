// The shipped rules' event patterns: each file in events/rules/ with `source` set from the one
// setting the scanner publishes with (EVENT_SOURCE, serverless.yml's param eventSource), so events
// and rules cannot disagree. Any new rule file gets it too: reference it from the rule's resource
// file (as resources/notifications.yml does) as
// ${file(./resources/rule-patterns.cjs):<file name without .json>}. npm start and the tests read
// the patterns through rulePatterns below, so they match what is deployed.
const fs = require('node:fs');
const path = require('node:path');

const RULES = path.join(__dirname, '..', 'events', 'rules');

/** The event source EventBridge would accept from us: not empty, not AWS's own `aws.` prefix. */
function checkSource(source) {
  if (typeof source !== 'string' || source.length === 0 || source.length > 256 || source.startsWith('aws.')) {
    throw new Error(
      `EVENT_SOURCE must be 1 to 256 characters and not start with "aws.", got ${JSON.stringify(source)}`,
    );
  }
  return source;
}

/** Every rule file's pattern, by file name, matching only events from `source`. */
function rulePatterns(source) {
  checkSource(source);
  const files = fs
    .readdirSync(RULES)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return Object.fromEntries(
    files.map((f) => [
      f.slice(0, -'.json'.length),
      { source: [source], ...withoutSource(JSON.parse(fs.readFileSync(path.join(RULES, f), 'utf8'))) },
    ]),
  );
}

// A rule file's own `source` would be the hard-coded value this module exists to replace.
function withoutSource(pattern) {
  const { source: _ignored, ...rest } = pattern;
  return rest;
}

module.exports = async ({ resolveVariable }) => rulePatterns(await resolveVariable('param:eventSource'));
module.exports.rulePatterns = rulePatterns;
