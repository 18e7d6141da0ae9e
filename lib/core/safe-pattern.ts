import { RE2JS } from 're2js';

/** Longest text a configured pattern is tested against; longer text does not match. */
export const MAX_PATTERN_INPUT = 1_024;
/** Longest pattern accepted. */
const MAX_PATTERN_LENGTH = 1_000;

/** A pattern from a policy or targets file, matched in time linear in its input. */
export interface SafePattern {
  readonly source: string;
  /** Whether the pattern matches somewhere in `input` (as RegExp.test); false for input over MAX_PATTERN_INPUT. */
  test(input: string): boolean;
}

/** A pattern that cannot be used, with why, in words for the file's error message. */
export class PatternError extends Error {
  override name = 'PatternError';
}

/**
 * Compiles an operator's pattern with RE2 semantics (re2js, a pure-JavaScript port of RE2):
 * matching takes time linear in the input, so a pattern such as `^(a+)+$` cannot hang a scan on a
 * snapshot named `aaaa…!`, whoever named it. What RE2 cannot do in linear time (backreferences,
 * lookaround) is refused here, at load time, rather than run slowly later. Inputs are bounded too
 * (MAX_PATTERN_INPUT), since names and metadata come from anyone who can create a snapshot.
 */
export function compileSafePattern(source: string): SafePattern {
  if (source.length > MAX_PATTERN_LENGTH) throw new PatternError(`is longer than ${MAX_PATTERN_LENGTH} characters`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (error) {
    const why = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : 'invalid';
    throw new PatternError(`is not a valid regular expression with linear-time (RE2) semantics: ${why}`);
  }
  return { source, test: (input) => input.length <= MAX_PATTERN_INPUT && re.test(input) };
}
