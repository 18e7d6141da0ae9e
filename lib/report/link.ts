/**
 * The link to the latest fleet report that scan summaries and notification digests carry: a
 * presigned S3 GET of fleet-report.html (lib/report/s3-store.ts), which opens in a browser or with
 * a plain `curl` without AWS credentials until it expires, while the bucket stays private.
 * The S3 client and presigner load on first use, like the report store.
 */
import type { ReportExtras, ReportSettings } from './settings';

export type ReportLink = () => Promise<string>;

/**
 * A function that returns a fresh link each call (signing is local, no request to S3). For the
 * notifier: `createReportLink({ ...loadReportBucket(env), ...loadReportExtras(env) })`.
 */
export function createReportLink(settings: ReportSettings & Pick<ReportExtras, 'linkExpiresSeconds'>): ReportLink {
  let linker: Promise<ReportLink> | undefined;
  return async () =>
    (
      await (linker ??= import('./s3-store').then((m) =>
        m.createReportLinker({
          bucket: settings.bucket,
          forcePathStyle: settings.forcePathStyle,
          expiresSeconds: settings.linkExpiresSeconds,
        }),
      ))
    )();
}
