import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ProjectReport } from './fleet';
import type { ReportFile } from './render';
import { historyPrefix, LATEST_HTML, partKey, type ReportStore, TREND_KEY } from './store';

export interface S3ReportStoreOptions {
  bucket: string;
  /** Path-style addressing, for a local endpoint (AWS_ENDPOINT_URL_S3). */
  forcePathStyle?: boolean;
  client?: S3Client;
}

/** Time left to a deadline as an abort signal, so no S3 call runs past the Lambda's time. */
const until = (deadline: number) => AbortSignal.timeout(Math.max(1, deadline - Date.now()));

/**
 * The report store in S3. Kept in a module of its own and loaded on first use, like the secrets
 * reader, so functions that never write a report do not compile the S3 client at cold start.
 */
export function createS3ReportStore(options: S3ReportStoreOptions): ReportStore {
  const client = options.client ?? new S3Client({ forcePathStyle: options.forcePathStyle ?? false });
  const Bucket = options.bucket;
  const put = (Key: string, Body: string, ContentType: string, deadline: number) =>
    client.send(new PutObjectCommand({ Bucket, Key, Body, ContentType }), { abortSignal: until(deadline) });
  return {
    async putPart(part: ProjectReport, deadline) {
      await put(partKey(part), JSON.stringify(part), 'application/json', deadline);
    },
    async readParts(deadline) {
      const keys: string[] = [];
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'projects/', ContinuationToken }), {
          abortSignal: until(deadline),
        });
        for (const o of page.Contents ?? []) if (o.Key?.endsWith('.json')) keys.push(o.Key);
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      const out: Array<{ key: string; text: string }> = new Array(keys.length);
      // A few reads at a time: a fleet of hundreds of projects is hundreds of small objects.
      let next = 0;
      const worker = async () => {
        while (next < keys.length) {
          const i = next++;
          const key = keys[i] as string;
          const object = await client.send(new GetObjectCommand({ Bucket, Key: key }), {
            abortSignal: until(deadline),
          });
          out[i] = { key, text: (await object.Body?.transformToString('utf-8')) ?? '' };
        }
      };
      await Promise.all(Array.from({ length: Math.min(8, keys.length) }, worker));
      return out;
    },
    async readTrend(deadline) {
      // Listed first: without s3:ListBucket on its key, a GET of a missing object is AccessDenied, not NoSuchKey.
      const listed = await client.send(new ListObjectsV2Command({ Bucket, Prefix: TREND_KEY, MaxKeys: 1 }), {
        abortSignal: until(deadline),
      });
      if (!listed.Contents?.some((o) => o.Key === TREND_KEY)) return undefined;
      const object = await client.send(new GetObjectCommand({ Bucket, Key: TREND_KEY }), {
        abortSignal: until(deadline),
      });
      return (await object.Body?.transformToString('utf-8')) ?? undefined;
    },
    async putTrend(text, deadline) {
      await put(TREND_KEY, text, 'application/json', deadline);
    },
    async putReport(files: readonly ReportFile[], generatedAt, deadline) {
      await Promise.all(files.map((f) => put(f.name, f.body, f.contentType, deadline)));
      const json = files.find((f) => f.name.endsWith('.json'));
      if (json) await put(`${historyPrefix(generatedAt)}${json.name}`, json.body, json.contentType, deadline);
      return files.map((f) => `s3://${Bucket}/${f.name}`);
    },
  };
}

export interface ReportLinkOptions {
  bucket: string;
  forcePathStyle?: boolean;
  /** At most 7 days (604,800 s), S3's limit for a presigned URL. */
  expiresSeconds: number;
  client?: S3Client;
}

/**
 * A presigned GET of the latest HTML report: a plain URL any browser or `curl` opens without AWS
 * credentials until it expires, while the bucket stays private. Signing is local (no call to S3);
 * the URL carries the signer's access key id, never its secret. Signed with temporary credentials
 * (a Lambda's role), it stops working when they expire, even before `expiresSeconds`.
 */
export function createReportLinker(options: ReportLinkOptions): () => Promise<string> {
  const client = options.client ?? new S3Client({ forcePathStyle: options.forcePathStyle ?? false });
  const expiresIn = Math.min(Math.max(1, Math.floor(options.expiresSeconds)), 604_800);
  return () =>
    getSignedUrl(
      client,
      new GetObjectCommand({
        Bucket: options.bucket,
        Key: LATEST_HTML,
        ResponseContentType: 'text/html; charset=utf-8',
      }),
      { expiresIn },
    );
}
