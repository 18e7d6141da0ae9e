import { bucketName, ConfigError, type Env, text } from './env';

/** Where the fleet report lives: a bucket, addressed path-style when AWS_ENDPOINT_URL_S3 points at a local endpoint. */
export interface ReportSettings {
  bucket: string;
  forcePathStyle: boolean;
}

/** REPORT_BUCKET, or undefined when reports are off. */
export function loadReportBucket(env: Env): ReportSettings | undefined {
  const bucket = bucketName(env, 'REPORT_BUCKET');
  return bucket === undefined ? undefined : { bucket, forcePathStyle: text(env, 'AWS_ENDPOINT_URL_S3') !== undefined };
}

/** Settings of the fleet report function: the bucket is what it is for. */
export function loadReportSettings(env: Env = process.env): ReportSettings {
  const settings = loadReportBucket(env);
  if (!settings) throw new ConfigError('REPORT_BUCKET is not set: the fleet report reads the projects\' parts from that bucket and writes the report there');
  return settings;
}
