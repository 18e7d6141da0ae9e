import { type Env, integer, optionalHttpUrl } from './env';

export interface SubscriberSettings {
  webhookUrl: string | undefined;
  webhookTimeoutMs: number;
}

/** Settings of the example alert subscriber. */
export function loadSubscriberSettings(env: Env = process.env): SubscriberSettings {
  return {
    webhookUrl: optionalHttpUrl(env, 'ALERT_WEBHOOK_URL', 'where alerts are posted'),
    webhookTimeoutMs: integer(env, 'ALERT_WEBHOOK_TIMEOUT_MS', 5_000, 100, 60_000),
  };
}
