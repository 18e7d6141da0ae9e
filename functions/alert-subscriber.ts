import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { formatAlert } from '../lib/alerts/format';
import { buildOnce } from '../lib/lambda/handler';
import { createFunctionLogger, type Logger } from '../lib/log';
import { createSecretFetch, type SecretFetch, SecretUnavailableError } from '../lib/secrets/reader';
import { type Env, isHttpUrl } from '../lib/settings/env';
import { loadSubscriberSettings, type SubscriberSettings, type WebhookSetting } from '../lib/settings/subscriber';

export interface AlertSubscriberDeps {
  settings: SubscriberSettings | Error;
  logger: Logger;
  fetch?: typeof fetch;
  /** Reads ALERT_WEBHOOK_SECRET; defaults to Powertools Parameters. */
  fetchSecret?: SecretFetch;
  /** Where alert lines are printed. */
  write?: (line: string) => void;
}

// What a webhook answers when its URL was revoked or rotated: read the secret again once.
const REFUSED = new Set([401, 403, 404, 410]);

/** The webhook URL of this delivery; from a secret it is cached by the reader, and `force` reads it again. */
function webhookUrl(setting: WebhookSetting, fetchSecret: SecretFetch | undefined): (force?: boolean) => Promise<string | undefined> {
  if (setting === undefined) return async () => undefined;
  if ('url' in setting) return async () => setting.url;
  const read = fetchSecret ?? createSecretFetch({ maxAgeSeconds: setting.maxAgeSeconds });
  return async (force = false) => {
    const url = (await read(setting.secret, { force })).trim();
    if (!isHttpUrl(url)) throw new SecretUnavailableError(`${setting.secret.store} secret ${setting.secret.id} does not hold an http(s) URL`);
    return url;
  };
}

/** Turns scanner events into readable alert lines: logged always, posted to a webhook when one is set. */
export function createAlertSubscriberHandler(deps: AlertSubscriberDeps) {
  const { logger, settings } = deps;
  const doFetch = deps.fetch ?? fetch;
  const write = deps.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const resolveUrl = settings instanceof Error ? undefined : webhookUrl(settings.webhook, deps.fetchSecret);

  async function alert(event: EventBridgeEvent<string, unknown>) {
    if (settings instanceof Error) throw settings;
    const line = formatAlert(event['detail-type'], event.detail);
    if (line === undefined) {
      logger.warn('ignored an event of unknown detail-type', { detailType: event['detail-type'], source: event.source });
      return { delivered: false };
    }
    write(`ALERT ${line}`);
    const url = await resolveUrl?.();
    if (url) {
      const post = async (to: string) => {
        const response = await doFetch(to, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ text: line }),
          signal: AbortSignal.timeout(settings.webhookTimeoutMs),
        });
        await response.body?.cancel();
        return response.status;
      };
      let status = await post(url);
      if (REFUSED.has(status) && settings.webhook && 'secret' in settings.webhook) {
        const fresh = await resolveUrl?.(true);
        if (fresh && fresh !== url) status = await post(fresh);
      }
      // Throwing makes Lambda's asynchronous retries, then the on-failure destination (the DLQ), take over.
      if (status < 200 || status >= 300) throw new Error(`alert webhook answered HTTP ${status}`);
    }
    return { delivered: true };
  }

  const middleware = middy<EventBridgeEvent<string, unknown>>();
  if (logger.powertools) middleware.use(injectLambdaContext(logger.powertools, { resetKeys: true }));
  return middleware.handler(alert);
}

/** The production dependencies, from an environment. */
export function alertSubscriberDepsFromEnv(env: Env = process.env, logger: Logger = createFunctionLogger('alert-subscriber')): AlertSubscriberDeps {
  return { logger, settings: buildOnce(() => loadSubscriberSettings(env), logger) };
}

export const handler = createAlertSubscriberHandler(alertSubscriberDepsFromEnv());
