import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { listenOnLoopback } from './loopback';

export interface LocalS3Options {
  port?: number;
  /** Buckets that exist from the start (a PUT on the bucket creates one too). */
  buckets?: string[];
  /**
   * A private bucket, as deployed: a GET or HEAD of an object needs the SDK's Authorization header
   * or a valid, unexpired SigV4 presigned query signed with this key (403 AccessDenied otherwise).
   * Header signatures are not checked (the SDK's calls are the tests' own); presigned ones are.
   */
  private?: { accessKeyId: string; secretAccessKey: string };
  /** Fail a call instead of answering it, by method and key. */
  fail?: (method: string, bucket: string, key: string) => { status: number; code: string } | undefined;
}

interface StoredObject {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
}

const xml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** The payload of an `aws-chunked` body (`size;chunk-signature=...\r\n data \r\n ... 0\r\n trailers`). */
function decodeAwsChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const end = raw.indexOf('\r\n', at);
    if (end < 0) break;
    const size = Number.parseInt(raw.subarray(at, end).toString('latin1').split(';')[0] ?? '0', 16);
    if (!size) break;
    parts.push(raw.subarray(end + 2, end + 2 + size));
    at = end + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      resolve(String(req.headers['content-encoding'] ?? '').includes('aws-chunked') ? decodeAwsChunked(raw) : raw);
    });
  });
}

const encode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();

/** Whether a presigned GET/HEAD is signed with this key and not expired (SigV4 query signing, UNSIGNED-PAYLOAD). */
export function checkPresigned(
  method: string,
  url: URL,
  host: string,
  key: { accessKeyId: string; secretAccessKey: string },
  now = Date.now(),
): 'ok' | 'unsigned' | 'expired' | 'bad-signature' {
  const q = url.searchParams;
  const signature = q.get('X-Amz-Signature');
  const credential = q.get('X-Amz-Credential');
  const date = q.get('X-Amz-Date');
  const expires = Number(q.get('X-Amz-Expires'));
  if (!signature || !credential || !date || !q.get('X-Amz-SignedHeaders')) return 'unsigned';
  const [accessKeyId, day, region, service] = credential.split('/');
  const signedAt = Date.parse(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  if (!Number.isFinite(signedAt) || !Number.isInteger(expires) || expires < 1 || expires > 604_800)
    return 'bad-signature';
  if (now > signedAt + expires * 1000) return 'expired';
  if (accessKeyId !== key.accessKeyId || !day || !region || !service) return 'bad-signature';
  const query = [...q.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const signedHeaders = q.get('X-Amz-SignedHeaders') as string;
  if (signedHeaders !== 'host') return 'bad-signature';
  const path = url.pathname
    .split('/')
    .map((segment) => encode(decodeURIComponent(segment)))
    .join('/');
  const canonical = [method, path, query, `host:${host}\n`, signedHeaders, 'UNSIGNED-PAYLOAD'].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.secretAccessKey}`, day), region), service), 'aws4_request');
  const expected = Buffer.from(hmac(signingKey, toSign).toString('hex'));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? 'ok' : 'bad-signature';
}

/**
 * A loopback endpoint for the S3 calls the report makes, path-style: PutObject, GetObject (also
 * what a browser opens: `http://127.0.0.1:PORT/{bucket}/fleet-report.html`), HeadObject and
 * ListObjectsV2 with a prefix and continuation. The real SDK client reaches it through
 * AWS_ENDPOINT_URL_S3. Objects live in memory.
 */
export async function startLocalS3(options: LocalS3Options = {}) {
  const buckets = new Map<string, Map<string, StoredObject>>((options.buckets ?? []).map((b) => [b, new Map()]));
  const calls: Array<{ method: string; bucket: string; key: string }> = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://s3.local');
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const method = req.method ?? 'GET';
    calls.push({ method, bucket: bucketName, key });
    const error = (status: number, code: string, message: string) => {
      res
        .writeHead(status, { 'Content-Type': 'application/xml' })
        .end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`,
        );
    };
    const injected = options.fail?.(method, bucketName, key);
    if (injected) {
      req.resume();
      return error(injected.status, injected.code, 'injected failure');
    }
    if (method === 'PUT' && key === '') {
      req.resume();
      if (!buckets.has(bucketName)) buckets.set(bucketName, new Map());
      return res.writeHead(200).end();
    }
    const bucket = buckets.get(bucketName);
    if (!bucket) {
      req.resume();
      return error(404, 'NoSuchBucket', `The specified bucket ${bucketName} does not exist`);
    }
    if (method === 'PUT') {
      void readBody(req).then((body) => {
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        bucket.set(key, {
          body,
          contentType: String(req.headers['content-type'] ?? 'application/octet-stream'),
          etag,
          lastModified: new Date(),
        });
        res.writeHead(200, { ETag: etag }).end();
      });
      return;
    }
    req.resume();
    if ((method === 'GET' || method === 'HEAD') && key !== '') {
      if (options.private && req.headers.authorization === undefined) {
        const verdict = checkPresigned(method, url, String(req.headers.host ?? ''), options.private);
        if (verdict === 'expired') return error(403, 'AccessDenied', 'Request has expired');
        if (verdict !== 'ok')
          return error(
            403,
            verdict === 'unsigned' ? 'AccessDenied' : 'SignatureDoesNotMatch',
            verdict === 'unsigned'
              ? 'Access Denied'
              : 'The request signature we calculated does not match the signature you provided.',
          );
      }
      const object = bucket.get(key);
      if (!object) return error(404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, {
        'Content-Type': object.contentType,
        'Content-Length': object.body.length,
        ETag: object.etag,
        'Last-Modified': object.lastModified.toUTCString(),
      });
      return res.end(method === 'HEAD' ? undefined : object.body);
    }
    if (method === 'GET' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const max = Math.min(1000, Number(url.searchParams.get('max-keys') ?? '1000'));
      const after = url.searchParams.get('continuation-token') ?? url.searchParams.get('start-after') ?? '';
      const keys = [...bucket.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
      const page = keys.slice(0, max);
      const truncated = keys.length > page.length;
      const contents = page
        .map((k) => {
          const o = bucket.get(k) as StoredObject;
          return `<Contents><Key>${xml(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
        })
        .join('');
      const next = truncated
        ? `<NextContinuationToken>${xml(page[page.length - 1] as string)}</NextContinuationToken>`
        : '';
      return res
        .writeHead(200, { 'Content-Type': 'application/xml' })
        .end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(bucketName)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
        );
    }
    return error(405, 'MethodNotAllowed', `${method} is not served here`);
  });
  const bound = await listenOnLoopback(server, options.port);
  return {
    url: bound.url,
    port: bound.port,
    calls,
    /** An object's text, or undefined. */
    text(bucket: string, key: string): string | undefined {
      return buckets.get(bucket)?.get(key)?.body.toString('utf8');
    },
    keys(bucket: string): string[] {
      return [...(buckets.get(bucket)?.keys() ?? [])].sort();
    },
    close: bound.close,
  };
}

export type LocalS3 = Awaited<ReturnType<typeof startLocalS3>>;
