import { parseSecretRef, type SecretRef } from '../secrets/reader';
import { type Env, integer, optionalHttpUrl, text } from './env';
import { refusePlainSecrets } from './upstream';

/** Where alerts are posted: a URL from the environment (local use), or one kept in a secret. */
export type WebhookSetting = { url: string } | { secret: SecretRef; maxAgeSeconds: number } | undefined;

export interface SubscriberSettings {
  webhook: WebhookSetting;
  webhookTimeoutMs: number;
}

/** Settings of the example alert subscriber. A webhook URL is a credential: whoever has it can post. */
export function loadSubscriberSettings(env: Env = process.env): SubscriberSettings {
  const secret = text(env, 'ALERT_WEBHOOK_SECRET');
  let webhook: WebhookSetting;
  if (secret !== undefined) {
    webhook = { secret: parseSecretRef(secret, 'ALERT_WEBHOOK_SECRET'), maxAgeSeconds: integer(env, 'ALERT_WEBHOOK_MAX_AGE_SECONDS', 300, 0, 86_400) };
  } else {
    refusePlainSecrets(env, ['ALERT_WEBHOOK_URL'], 'ALERT_WEBHOOK_SECRET (Secrets Manager or SSM)');
    const url = optionalHttpUrl(env, 'ALERT_WEBHOOK_URL', 'where alerts are posted', { secret: true });
    webhook = url === undefined ? undefined : { url };
  }
  return { webhook, webhookTimeoutMs: integer(env, 'ALERT_WEBHOOK_TIMEOUT_MS', 5_000, 100, 60_000) };
}
