/**
 * Untrusted text in notifications. Snapshot names, descriptions, metadata, owners and reasons are
 * written by anyone with access to a cloud project, so every renderer passes them through
 * `cleanText` (one line, no control or bidi characters, capped) and then through the escaper of
 * its format. Each step is pure and small so the tests can attack each one.
 */

// ESC-introduced terminal sequences (CSI like `ESC[31m`, OSC like `ESC]0;title BEL`, and two-byte
// escapes) are dropped whole, so no fragment like `[31m` is left to confuse a reader.
const TERMINAL_SEQUENCE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
  /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-_])?|\u009b[0-?]*[ -/]*[@-~]/g;
// Line breaks of every kind become one space: a name must never start a line of its own.
// biome-ignore lint/suspicious/noControlCharactersInRegex: vertical tab and form feed are line breaks too
const LINE_BREAKS = /[\r\n\u000b\u000c\u0085\u2028\u2029\t]+/g;
// C0/C1 controls, bidi embeddings/overrides/isolates and marks, zero-width and BOM characters.
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/g;

/** The default cap for one untrusted field, in characters (code points). */
export const MAX_FIELD = 200;
export const ELLIPSIS = '…';

/** One line of untrusted text made safe to show: controls and terminal sequences removed, breaks made spaces, capped at `max` code points with an ellipsis. */
export function cleanText(value: string | null | undefined, max = MAX_FIELD): string {
  if (value === null || value === undefined) return '';
  const flat = String(value)
    .replace(TERMINAL_SEQUENCE, '')
    .replace(LINE_BREAKS, ' ')
    .replace(INVISIBLE, '')
    .replace(/ {2,}/g, ' ')
    .trim();
  return truncate(flat, max);
}

/** Cuts to at most `max` code points (never inside a surrogate pair), ending with an ellipsis when cut. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const points = Array.from(value);
  if (points.length <= max) return value;
  return `${points.slice(0, Math.max(0, max - 1)).join('')}${ELLIPSIS}`;
}

/** Slack mrkdwn: `&`, `<` and `>` escaped as Slack asks, so `<!channel>` and `<url|label>` stay text. */
export function escapeSlack(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Adaptive Card TextBlock / Fact markdown (Teams renders a CommonMark subset: emphasis, lists,
 * links; `<at>` tags become mentions; `{{DATE(…)}}` is a function). Markdown punctuation that can
 * start emphasis, code or a link is backslash-escaped, `<` and `>` become look-alikes and `{{` is
 * split, so a name cannot make a link, emphasis, a mention or a date. Callers never start a
 * TextBlock with untrusted text, so line-start syntax (lists, headings) cannot be reached.
 */
export function escapeCardMarkdown(value: string): string {
  return value
    .replace(/[\\`*_[\]()~]/g, (c) => `\\${c}`)
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/\{(?=\{)/g, '{ ')
    .replace(/\}(?=\})/g, '} ');
}

/** Text for HTML: the five characters that could open markup, escaped. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Printable ASCII only (SNS subjects): anything else becomes `?`, breaks become spaces. */
export function asciiOnly(value: string): string {
  return cleanText(value, Number.MAX_SAFE_INTEGER).replace(/[^\u0020-\u007e]/g, '?');
}
