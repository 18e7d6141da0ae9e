import { createHash, createHmac } from 'node:crypto';

/** Huawei Cloud AK/SK credentials; the security token comes with temporary credentials. */
export interface AkSkCredentials {
  ak: string;
  sk: string;
  securityToken?: string | undefined;
}

export interface RequestToSign {
  method: string;
  /** Absolute URL, query included. */
  url: string;
  /** Headers to sign besides `host` and `X-Sdk-Date`. */
  headers?: Record<string, string>;
  body?: string;
}

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RFC 3986 percent-encoding that keeps only the unreserved characters, as Huawei's signer does. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export function formatSdkDate(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

function canonicalUri(pathname: string): string {
  const encoded = pathname.split('/').map(percentEncode).join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

function canonicalQuery(search: URLSearchParams): string {
  const byKey = new Map<string, string[]>();
  for (const [key, value] of search) {
    const values = byKey.get(key);
    if (values) values.push(value);
    else byKey.set(key, [value]);
  }
  const parts: string[] = [];
  // Default (UTF-16 code unit) sort of raw keys and values, matching the official SDK.
  for (const key of [...byKey.keys()].sort()) {
    for (const value of (byKey.get(key) ?? []).sort()) {
      parts.push(`${percentEncode(key)}=${percentEncode(value)}`);
    }
  }
  return parts.join('&');
}

/**
 * Signs a request with `SDK-HMAC-SHA256`: a pure function of request, credentials and clock.
 * Returns every header to send: the given ones plus `host`, `X-Sdk-Date` and `Authorization`.
 */
export function signRequest(request: RequestToSign, credentials: AkSkCredentials, now: Date): Record<string, string> {
  const url = new URL(request.url);
  const sdkDate = formatSdkDate(now);
  const headers: Record<string, string> = { ...request.headers };
  if (credentials.securityToken) headers['X-Security-Token'] = credentials.securityToken;
  headers.host = url.host;
  headers['X-Sdk-Date'] = sdkDate;

  const names = Object.keys(headers)
    .map((name) => [name.toLowerCase(), name] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = names.map(([lower]) => lower).join(';');
  const canonicalHeaders = names.map(([lower, name]) => `${lower}:${headers[name]}\n`).join('');
  const payloadHash = request.body ? sha256Hex(request.body) : EMPTY_BODY_SHA256;

  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.searchParams),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const stringToSign = `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', credentials.sk).update(stringToSign, 'utf8').digest('hex');

  headers.Authorization = `${SIGNING_ALGORITHM} Access=${credentials.ak}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
