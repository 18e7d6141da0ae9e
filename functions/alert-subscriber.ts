import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { formatAlert } from '../lib/alerts/format';
import { buildOnce } from '../lib/lambda/handler';
import { createFunctionLogger, type Logger } from '../lib/log';
import type { Env } from '../lib/settings/env';
import { loadSubscriberSettings, type SubscriberSettings } from '../lib/settings/subscriber';

export interface AlertSubscriberDeps {
  settings: SubscriberSettings | Error;
  logger: Logger;
  fetch?: typeof fetch;
  /** Where alert lines are printed. */
  write?: (line: string) => void;
}

/** Turns scanner events into readable alert lines: logged always, posted to a webhook when one is set. */
export function createAlertSubscriberHandler(deps: AlertSubscriberDeps) {
  const { logger, settings } = deps;
  const doFetch = deps.fetch ?? fetch;
  const write = deps.write ?? ((line: string) => process.stdout.write(`${line}\n`));

  async function alert(event: EventBridgeEvent<string, unknown>) {
    if (settings instanceof Error) throw settings;
    const line = formatAlert(event['detail-type'], event.detail);
    if (line === undefined) {
      logger.warn('ignored an event of unknown detail-type', { detailType: event['detail-type'], source: event.source });
      return { delivered: false };
    }
    write(`ALERT ${line}`);
    if (settings.webhookUrl) {
      const response = await doFetch(settings.webhookUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: line }),
        signal: AbortSignal.timeout(settings.webhookTimeoutMs),
      });
      // Throwing makes Lambda's asynchronous retries (and the rule's DLQ, if set) take over.
      if (!response.ok) throw new Error(`alert webhook answered HTTP ${response.status}`);
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
