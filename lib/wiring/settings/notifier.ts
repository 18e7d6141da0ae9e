import { readFileSync } from 'node:fs';
import { ConfigError, type Env, flag, integer, oneOf, optionalHttpUrl, tableName, text } from '../../config/env';
import type { DestinationKind } from '../../notify/model';
import { type Destination, defaultRoutes, parseRoutes, type Routes } from '../../notify/routes';
import type { PriceList } from '../../pricing/prices';
import { parseSecretRef } from '../../secrets/reader';
import { loadReportBucket, loadReportExtras, type ReportSettings } from './report';
import { isDeployed, refusePlainSecrets } from './upstream';

const KINDS: readonly DestinationKind[] = ['webhook', 'slack', 'teams', 'alertmanager'];

export interface NotifierSettings {
  routes: Routes;
  /** The notifications table; unset: nothing can be remembered, so nothing is sent (dry runs only). */
  table: string | undefined;
  /** Where undeliverable messages go (an SQS FIFO queue URL). */
  deadLetterQueueUrl: string | undefined;
  timeoutMs: number;
  secretMaxAgeSeconds: number;
  maxAttempts: number;
  maxAgeMs: number;
  retentionMs: number;
  /**
   * Where digests' fresh report links are signed: REPORT_BUCKET and REPORT_LINK_EXPIRES_HOURS;
   * undefined when there is no bucket or a fixed link (NOTIFY_REPORT_URL, the routes file's
   * `links.report`) is set, which wins.
   */
  reportLink: (ReportSettings & { linkExpiresSeconds: number }) | undefined;
  /** PRICES_FILE's prices; undefined: digests carry no money. */
  prices: PriceList | undefined;
}

/** Whether destinations may name plain URLs: locally, or where ALLOW_PLAIN_SECRETS=true says so. */
export function plainUrlsAllowed(env: Env): boolean {
  return !isDeployed(env) || flag(env, 'ALLOW_PLAIN_SECRETS', false);
}

/** Reads the routes file NOTIFY_ROUTES_FILE names; a ConfigError names the file, line and field. */
export function readRoutesFile(file: string, env: Env): Routes {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `NOTIFY_ROUTES_FILE names ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return parseRoutes(content, file, { allowPlainUrls: plainUrlsAllowed(env) });
}

/** The default routes' destinations: ALERT_WEBHOOK_SECRET or (locally) ALERT_WEBHOOK_URL, and ALERT_TOPIC_ARN. */
function defaultDestinations(env: Env): Destination[] {
  const destinations: Destination[] = [];
  const kind = oneOf(env, 'ALERT_WEBHOOK_KIND', KINDS, 'webhook');
  const secret = text(env, 'ALERT_WEBHOOK_SECRET');
  if (secret !== undefined)
    destinations.push({ kind, name: 'webhook', address: { secret: parseSecretRef(secret, 'ALERT_WEBHOOK_SECRET') } });
  else {
    refusePlainSecrets(env, ['ALERT_WEBHOOK_URL'], 'ALERT_WEBHOOK_SECRET (Secrets Manager or SSM)');
    const url = optionalHttpUrl(env, 'ALERT_WEBHOOK_URL', 'where alerts are posted', { secret: true });
    if (url !== undefined) destinations.push({ kind, name: 'webhook', address: { url } });
  }
  const topic = text(env, 'ALERT_TOPIC_ARN');
  if (topic !== undefined) {
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(topic))
      throw new ConfigError('ALERT_TOPIC_ARN must be an SNS topic ARN');
    destinations.push({ kind: 'sns', name: 'topic', address: { topicArn: topic } });
  }
  return destinations;
}

/** The notifier's settings: its routes (a file, or the default routes), table, dead-letter queue and delivery bounds. */
export function loadNotifierSettings(env: Env = process.env): NotifierSettings {
  const report = optionalHttpUrl(env, 'NOTIFY_REPORT_URL', 'the fleet report page digests link to');
  const findings = optionalHttpUrl(env, 'PROXY_PUBLIC_URL', 'the base of the findings API links');
  const links = { ...(report ? { report } : {}), ...(findings ? { findings } : {}) };
  const file = text(env, 'NOTIFY_ROUTES_FILE');
  let routes: Routes;
  if (file !== undefined) {
    const fromFile = readRoutesFile(file, env);
    routes = { ...fromFile, links: { ...links, ...fromFile.links } };
  } else
    routes = defaultRoutes({
      destinations: defaultDestinations(env),
      cycleMinutes: integer(env, 'SCAN_CYCLE_MINUTES', 15, 1, 1_440),
      links,
    });
  const bucket = loadReportBucket(env);
  const extras = loadReportExtras(env);
  return {
    routes,
    reportLink:
      bucket && !routes.links.report ? { ...bucket, linkExpiresSeconds: extras.linkExpiresSeconds } : undefined,
    prices: extras.prices,
    table: tableName(env, 'NOTIFICATIONS_TABLE'),
    deadLetterQueueUrl: optionalHttpUrl(env, 'NOTIFY_DEAD_LETTER_QUEUE_URL', 'where undeliverable notifications go'),
    timeoutMs: integer(env, 'ALERT_WEBHOOK_TIMEOUT_MS', 5_000, 100, 60_000),
    secretMaxAgeSeconds: integer(env, 'ALERT_WEBHOOK_MAX_AGE_SECONDS', 300, 0, 86_400),
    maxAttempts: integer(env, 'NOTIFY_MAX_ATTEMPTS', 100, 1, 1_000),
    maxAgeMs: integer(env, 'NOTIFY_MAX_AGE_HOURS', 24, 1, 336) * 3_600_000,
    retentionMs: 30 * 86_400_000,
  };
}
