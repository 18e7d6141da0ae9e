/**
 * The raw text of a list body's `snapshots` array, so a proxy can pass it on without
 * serialising a thousand snapshots again. Only for bodies whose keys are exactly `snapshots`
 * or `snapshots`, `snapshots_links` in that order (what Cinder and EVS send); anything else
 * returns undefined and the caller serialises. `body` is `JSON.parse(text)`.
 */
export function rawSnapshotsArray(text: string, body: Record<string, unknown>): string | undefined {
  const keys = Object.keys(body);
  const start = text.indexOf('[');
  if (start < 0) return undefined;
  if (keys.length === 1 && keys[0] === 'snapshots') {
    const end = text.lastIndexOf(']');
    return end > start ? text.slice(start, end + 1) : undefined;
  }
  if (keys.length !== 2 || keys[0] !== 'snapshots' || keys[1] !== 'snapshots_links') return undefined;
  // The links key is the last one, so its last occurrence is the key itself unless it sits inside
  // a string of the links' value; then the character before it is not a comma, or the tail fails.
  const key = text.lastIndexOf('"snapshots_links"');
  let comma = key - 1;
  while (comma > start && /\s/.test(text[comma] as string)) comma--;
  if (key < 0 || text[comma] !== ',') return undefined;
  try {
    const tail = JSON.parse(`{${text.slice(key)}`) as Record<string, unknown>;
    if (JSON.stringify(tail.snapshots_links) !== JSON.stringify(body.snapshots_links) || Object.keys(tail).length !== 1) return undefined;
  } catch {
    return undefined;
  }
  const end = text.lastIndexOf(']', comma);
  return end > start ? text.slice(start, end + 1) : undefined;
}
