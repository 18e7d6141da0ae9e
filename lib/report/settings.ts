import type { PriceList } from '../pricing/prices';

/** Where the fleet report lives: a bucket, addressed path-style when AWS_ENDPOINT_URL_S3 points at a local endpoint. */
export interface ReportSettings {
  bucket: string;
  forcePathStyle: boolean;
}

/** The report's money, owners and link: shared by the report function, the scanner and the notifier. */
export interface ReportExtras {
  /** PRICES_FILE, read and checked; undefined: no money is shown anywhere. */
  prices: PriceList | undefined;
  /** OWNER_METADATA_KEY: the snapshot metadata key that names its owner (default `owner`). */
  ownerMetadataKey: string;
  /** REPORT_LINK_EXPIRES_HOURS: how long a report link works (1 to 168 hours, S3's limit for presigned URLs). */
  linkExpiresSeconds: number;
}
