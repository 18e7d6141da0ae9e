import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventPublisher, type EventBridgeSender } from '../events/publisher';
import type { EventSink } from '../scan/run-scan';
import type { ScanSettingsFromEnv } from './settings/scanner';

/** What tests and scripts may put in place of the production event bus. */
export interface BusOverrides {
  /** Defaults to a real EventBridgeClient (endpoint from AWS_ENDPOINT_URL_EVENTBRIDGE when set). */
  eventBridge?: EventBridgeSender;
  /** Replaces EventBridge entirely, e.g. the dry-run printer. */
  createSink?: (deadline: number) => EventSink;
}

type PublishSettings = Pick<
  ScanSettingsFromEnv,
  'eventBusName' | 'maxBatchBytes' | 'publishRetry' | 'publishConcurrency' | 'publishCallTimeoutMs'
>;

/** The production EventBridge client: no SDK retries (the publisher owns them) and bounded sockets. */
export function createEventBridgeClient(callTimeoutMs: number): EventBridgeClient {
  return new EventBridgeClient({
    maxAttempts: 1,
    requestHandler: { requestTimeout: callTimeoutMs, connectionTimeout: Math.min(callTimeoutMs, 3_000) },
  });
}

/** One sink per call, each publishing to the configured bus; the client is made on the first call and shared. */
export function createSinkFactory(
  settings: PublishSettings,
  overrides: BusOverrides = {},
): (deadline: number) => EventSink {
  if (overrides.createSink) return overrides.createSink;
  let eventBridge = overrides.eventBridge;
  return (deadline) => {
    eventBridge ??= createEventBridgeClient(settings.publishCallTimeoutMs);
    return createEventPublisher({
      client: eventBridge,
      busName: settings.eventBusName,
      maxBatchBytes: settings.maxBatchBytes,
      retry: settings.publishRetry,
      maxInFlight: settings.publishConcurrency,
      callTimeoutMs: settings.publishCallTimeoutMs,
      deadline,
    });
  };
}
