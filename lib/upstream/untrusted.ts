/**
 * Strings an upstream supplies — request ids, error codes, messages — are untrusted: an upstream
 * (or a proxy in front of it) may echo a credential in any of them, in any encoding. These
 * helpers decide what of them may be passed on.
 */

/** Request ids as OpenStack (`req-<uuid>`) and Huawei Cloud (32 hex digits, or a uuid) write them. */
const REQUEST_ID = /^(?:req-)?(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/i;

/** Credentials shorter than this are not looked for (they would match ordinary text). */
const MIN_SECRET_LENGTH = 4;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Each character as itself (any letter case) or %-encoded (any hex case), as an upstream may echo it. */
function looseForm(secret: string): string {
  return [...secret]
    .map((c) => {
      const encoded = [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
      return `(?:${escapeRegExp(c)}|${encoded})`;
    })
    .join('');
}

const patterns = new Map<string, RegExp[]>();

/**
 * The forms a credential can be echoed in that are cheap to produce: as is, in any letter case,
 * %-encoded (wholly or partly, either hex case), and base64 / base64url, as patterns. Cached: a
 * client's credentials are few and change rarely.
 */
function patternsOf(secret: string): RegExp[] {
  let found = patterns.get(secret);
  if (!found) {
    const base64 = Buffer.from(secret, 'utf8').toString('base64');
    const exact = [base64.replace(/=+$/, ''), Buffer.from(secret, 'utf8').toString('base64url')].filter(
      (f) => f.length >= MIN_SECRET_LENGTH,
    );
    found = [new RegExp(looseForm(secret), 'gi'), ...[...new Set(exact)].map((f) => new RegExp(escapeRegExp(f), 'g'))];
    if (patterns.size > 64) patterns.clear();
    patterns.set(secret, found);
  }
  return found;
}

const usable = (secrets: readonly string[]) => secrets.filter((s) => s.length >= MIN_SECRET_LENGTH);

/** Whether `text` holds any of the credentials, in any form patternsOf knows. */
export function containsSecret(text: string, secrets: readonly string[]): boolean {
  return usable(secrets).some((secret) =>
    patternsOf(secret).some((p) => {
      p.lastIndex = 0;
      return p.test(text);
    }),
  );
}

/** `text` with every form of every credential replaced by `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of usable(secrets)) for (const p of patternsOf(secret)) out = out.replace(p, '[redacted]');
  return out;
}

/** A request id fit to pass on (headers, messages, events, logs): of a known shape and no credential; else undefined. */
export function safeRequestId(value: string | null | undefined, secrets: readonly string[] = []): string | undefined {
  if (!value || !REQUEST_ID.test(value)) return undefined;
  return containsSecret(value, secrets) ? undefined : value;
}
