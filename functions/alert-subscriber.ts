import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { formatAlert } from '../lib/alerts/format';
import { loadSubscriberConfig } from '../lib/config';
import { createLogger } from '../lib/log';

const logger = createLogger({ function: 'alert-subscriber' });
const config = loadSubscriberConfig();

/** Turns scanner events into readable alert lines: logged always, posted to a webhook when one is set. */
async function alert(event: EventBridgeEvent<string, unknown>) {
  const line = formatAlert(event['detail-type'], event.detail);
  if (line === undefined) {
    logger.warn('ignored an event of unknown detail-type', { detailType: event['detail-type'], source: event.source });
    return { delivered: false };
  }
  process.stdout.write(`ALERT ${line}\n`);
  if (config.webhookUrl) {
    const response = await fetch(config.webhookUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: line }),
      signal: AbortSignal.timeout(config.webhookTimeoutMs),
    });
    // Throwing makes Lambda's asynchronous retries (and the rule's DLQ, if set) take over.
    if (!response.ok) throw new Error(`alert webhook answered HTTP ${response.status}`);
  }
  return { delivered: true };
}

export const handler = middy<EventBridgeEvent<string, unknown>>().handler(alert);
