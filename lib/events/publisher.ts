import { PutEventsCommand, type PutEventsRequestEntry, type PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { backoffDelay, type RetryClock, type RetryOptions, systemClock } from '../retry';
import { type OutboundEvent, shrinkFinding } from './contract';

/** The one method of the EventBridge client the publisher uses. */
export interface EventBridgeSender {
  send(command: PutEventsCommand): Promise<{ FailedEntryCount?: number; Entries?: PutEventsResultEntry[] }>;
}

export interface PublisherOptions {
  client: EventBridgeSender;
  busName: string;
  /** Request size budget, counted the way AWS counts it. */
  maxBatchBytes?: number;
  retry?: RetryOptions;
  /** Epoch ms after which failed entries are reported rather than retried. */
  deadline?: number;
  /** PutEvents calls in flight at once, so publishing overlaps paging. */
  maxInFlight?: number;
  clock?: RetryClock;
}

export interface FailedEntry {
  detailType: string;
  /** `findingId` (or `scanId`) from the detail, so a failure can be traced to its event. */
  key: string;
  errorCode: string;
  errorMessage: string;
}

export interface PublishStats {
  calls: number;
  published: number;
  retriedEntries: number;
  shrunk: number;
  failed: FailedEntry[];
}

export const MAX_ENTRIES_PER_CALL = 10;
export const DEFAULT_MAX_BATCH_BYTES = 256 * 1024;
const RETRYABLE_ENTRY_CODES = new Set(['ThrottlingException', 'InternalFailure']);
const DEFAULT_PUBLISH_RETRY: RetryOptions = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 3_000 };

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** An entry's size as AWS counts it: Source, DetailType, Detail, each Resource, plus 14 when Time is set. */
export function entrySize(event: OutboundEvent): number {
  let size = utf8(event.Source) + utf8(event.DetailType) + utf8(event.Detail);
  for (const r of event.Resources) size += utf8(r);
  return size + (event.Time ? 14 : 0);
}

function keyOf(event: OutboundEvent): string {
  try {
    const d = JSON.parse(event.Detail) as { findingId?: string; scanId?: string; projectId?: string };
    return d.findingId ?? `${d.scanId}/${d.projectId}`;
  } catch {
    return 'unknown';
  }
}

function isRetryableCallError(error: unknown): boolean {
  const e = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'ThrottlingException' || !!e?.$retryable || (e?.$metadata?.httpStatusCode ?? 0) >= 500;
}

/**
 * Buffers events into PutEvents calls of at most 10 entries within the byte budget, retries
 * only the entries that failed with ThrottlingException or InternalFailure, and records every
 * entry it could not deliver. Nothing is dropped without a record in `stats.failed`.
 */
export function createEventPublisher(options: PublisherOptions) {
  const maxBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const retry = options.retry ?? DEFAULT_PUBLISH_RETRY;
  const clock = options.clock ?? systemClock;
  const maxInFlight = Math.max(1, options.maxInFlight ?? 4);
  const stats: PublishStats = { calls: 0, published: 0, retriedEntries: 0, shrunk: 0, failed: [] };
  let buffer: OutboundEvent[] = [];
  let bufferBytes = 0;

  const toEntry = (e: OutboundEvent): PutEventsRequestEntry => ({ ...e, EventBusName: options.busName });
  const fail = (event: OutboundEvent, errorCode: string, errorMessage: string) =>
    stats.failed.push({ detailType: event.DetailType, key: keyOf(event), errorCode, errorMessage });

  async function send(batch: OutboundEvent[]): Promise<void> {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      stats.calls++;
      let retryable: OutboundEvent[] = [];
      try {
        const output = await options.client.send(new PutEventsCommand({ Entries: pending.map(toEntry) }));
        const results = output.Entries ?? [];
        pending.forEach((event, i) => {
          const result = results[i];
          if (result?.EventId && !result.ErrorCode) stats.published++;
          else if (result?.ErrorCode && RETRYABLE_ENTRY_CODES.has(result.ErrorCode)) retryable.push(event);
          else fail(event, result?.ErrorCode ?? 'MissingResult', result?.ErrorMessage ?? 'PutEvents returned no result for this entry');
        });
      } catch (error) {
        const e = error as Error;
        if (isRetryableCallError(error)) retryable = pending;
        else for (const event of pending) fail(event, e.name || 'PutEventsError', e.message);
      }
      if (retryable.length === 0) return;
      const delay = backoffDelay(attempt, retry, clock.random);
      const outOfTime = options.deadline !== undefined && clock.now() + delay >= options.deadline;
      if (attempt >= retry.maxAttempts || outOfTime) {
        const why = outOfTime ? 'deadline reached before the retry' : `still failing after ${attempt} attempts`;
        for (const event of retryable) fail(event, 'RetriesExhausted', why);
        return;
      }
      stats.retriedEntries += retryable.length;
      await clock.sleep(delay);
      pending = retryable;
    }
  }

  const inFlight = new Set<Promise<void>>();

  /** Starts sending the buffered batch; waits only when `maxInFlight` calls are already out. */
  async function dispatch(): Promise<void> {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    bufferBytes = 0;
    const sending: Promise<void> = send(batch).finally(() => inFlight.delete(sending));
    inFlight.add(sending);
    if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
  }

  /** Sends what is buffered and waits until every call has finished (delivered or recorded as failed). */
  async function flush(): Promise<void> {
    await dispatch();
    while (inFlight.size > 0) await Promise.all(inFlight);
  }

  return {
    stats,
    /** Queues one event, sending a batch when the next entry would not fit. */
    async add(event: OutboundEvent): Promise<void> {
      let entry = event;
      let size = entrySize(entry);
      if (size > maxBytes) {
        const shrunk = shrinkFinding(entry);
        if (shrunk && entrySize(shrunk) <= maxBytes) {
          entry = shrunk;
          size = entrySize(shrunk);
          stats.shrunk++;
        } else {
          fail(event, 'EntryTooLarge', `entry is ${size} bytes, over the ${maxBytes}-byte limit even when shrunk`);
          return;
        }
      }
      if (buffer.length >= MAX_ENTRIES_PER_CALL || bufferBytes + size > maxBytes) await dispatch();
      buffer.push(entry);
      bufferBytes += size;
      if (buffer.length >= MAX_ENTRIES_PER_CALL) await dispatch();
    },
    flush,
  };
}

export type EventPublisher = ReturnType<typeof createEventPublisher>;
