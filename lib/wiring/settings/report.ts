import { bucketName, ConfigError, type Env, integer, tableName, text } from '../../config/env';
import { loadPricesFile } from '../../pricing/load';
import type { ReportExtras, ReportSettings } from '../../report/settings';

export type { ReportExtras, ReportSettings } from '../../report/settings';

/** REPORT_BUCKET, or undefined when reports are off. */
export function loadReportBucket(env: Env): ReportSettings | undefined {
  const bucket = bucketName(env, 'REPORT_BUCKET');
  return bucket === undefined ? undefined : { bucket, forcePathStyle: text(env, 'AWS_ENDPOINT_URL_S3') !== undefined };
}

/** PRICES_FILE, OWNER_METADATA_KEY and REPORT_LINK_EXPIRES_HOURS. */
export function loadReportExtras(env: Env): ReportExtras {
  const file = text(env, 'PRICES_FILE');
  const ownerMetadataKey = text(env, 'OWNER_METADATA_KEY') ?? 'owner';
  if (ownerMetadataKey.length > 255)
    throw new ConfigError('OWNER_METADATA_KEY is longer than a metadata key can be (255)');
  return {
    prices: file === undefined ? undefined : loadPricesFile(file, 'PRICES_FILE names'),
    ownerMetadataKey,
    linkExpiresSeconds: integer(env, 'REPORT_LINK_EXPIRES_HOURS', 168, 1, 168) * 3_600,
  };
}

/** Settings of the fleet report function: the bucket is what it is for. */
export function loadReportSettings(
  env: Env = process.env,
): ReportSettings & ReportExtras & { findingsTable: string | undefined } {
  const settings = loadReportBucket(env);
  if (!settings)
    throw new ConfigError(
      "REPORT_BUCKET is not set: the fleet report reads the projects' parts from that bucket and writes the report there",
    );
  // FINDINGS_TABLE: the cleanup's audit trail, for what it removed per month; unset, the report shows no removals.
  return { ...settings, ...loadReportExtras(env), findingsTable: tableName(env, 'FINDINGS_TABLE') };
}
