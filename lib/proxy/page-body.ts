import type { Snapshot } from '../domain/snapshot';
import { checkListBody, findNextLink, parseUpstreamJson } from '../upstream/client';

/**
 * Where a list body's top-level keys and its `snapshots` array elements sit in the text. Only
 * computed for text `JSON.parse` has accepted, so it need not detect malformed JSON; it must
 * only never mistake a string's content for structure.
 */
interface BodyLayout {
  /** Raw top-level keys, in order, duplicates kept. */
  keys: string[];
  /** Offset of the `[` of the `snapshots` value, or -1. */
  arrayStart: number;
  /** Offset of its `]`. */
  arrayEnd: number;
  /** Offset just past each element (its `,` or the closing `]`). */
  elementEnds: number[];
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const SPACE = /\S/;

/** The offset of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let j = start + 1;
  for (;;) {
    j = text.indexOf('"', j);
    let backslashes = 0;
    for (let k = j - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return j;
    j++;
  }
}

function layoutOf(text: string): BodyLayout {
  const layout: BodyLayout = { keys: [], arrayStart: -1, arrayEnd: -1, elementEnds: [] };
  let depth = 0;
  let expectingKey = false;
  let lastKey = '';
  let inArray = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (depth === 1 && expectingKey) {
        lastKey = text.slice(i + 1, end);
        layout.keys.push(lastKey);
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth === 1) expectingKey = true;
      else if (depth === 2 && c === OPEN_BRACKET && lastKey === 'snapshots' && layout.arrayStart < 0) {
        inArray = true;
        layout.arrayStart = i;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 2 && inArray) {
        inArray = false;
        layout.arrayEnd = i;
        // An empty array has no element to end.
        if (SPACE.test(text.slice(layout.arrayStart + 1, i))) layout.elementEnds.push(i);
      }
      depth--;
    } else if (c === COMMA) {
      if (depth === 1) expectingKey = true;
      else if (depth === 2 && inArray) layout.elementEnds.push(i);
    } else if (c === COLON && depth === 1) {
      expectingKey = false;
    }
  }
  return layout;
}

/** An upstream list page as the proxy serves it. */
export interface ProxyPage {
  snapshots: Snapshot[];
  /** How many of `snapshots` the answer carries. */
  served: number;
  /** Whether rows exist after the served ones. */
  more: boolean;
  /** The served rows' JSON text, cut from the upstream's own text when that was proven safe. */
  snapshotsJson: string;
}

/**
 * Decodes an upstream list body for the proxy and cuts it to `pageSize` rows. The upstream was
 * asked for `askedLimit` rows (one more than the page, where it allows): a row past the page
 * proves there is more, so a next link never leads to an empty page. When the upstream capped
 * the page itself and still links onwards, the last row is held back for the same reason.
 *
 * The rows go out as the upstream wrote them, without serialising them again, only when the text
 * is proven to be what `JSON.parse` read: single unescaped top-level keys and one element
 * boundary per parsed row. Anything else (duplicate keys, escaped keys) is served from the
 * parsed value.
 */
export function decodeProxyPage(
  text: string,
  requestId: string | undefined,
  pageSize: number,
  askedLimit: number,
): ProxyPage {
  const body = parseUpstreamJson(text, requestId);
  const snapshots = checkListBody(body, requestId, askedLimit);
  const n = snapshots.length;
  const upstreamMore = findNextLink((body as { snapshots_links?: unknown }).snapshots_links) !== undefined;
  let served = n;
  let more = false;
  if (n > pageSize) {
    served = pageSize;
    more = true;
  } else if (upstreamMore && n > 1) {
    served = n - 1;
    more = true;
  } else if (upstreamMore) {
    more = true;
  }
  const layout = layoutOf(text);
  const proven =
    layout.arrayStart >= 0 &&
    layout.elementEnds.length === n &&
    new Set(layout.keys).size === layout.keys.length &&
    layout.keys.every((k) => !k.includes('\\'));
  let snapshotsJson: string;
  if (!proven) snapshotsJson = JSON.stringify(served === n ? snapshots : snapshots.slice(0, served));
  else if (served === 0) snapshotsJson = '[]';
  else if (served === n) snapshotsJson = text.slice(layout.arrayStart, layout.arrayEnd + 1);
  else snapshotsJson = `${text.slice(layout.arrayStart, layout.elementEnds[served - 1])}]`;
  return { snapshots, served, more, snapshotsJson };
}
