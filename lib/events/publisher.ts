import { PutEventsCommand, type PutEventsRequestEntry, type PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { backoffDelay, type RetryClock, type RetryOptions, systemClock } from '../core/retry';
import { eventKey, type OutboundEvent, shrinkFinding } from './contract';

/**
 * The one method of the EventBridge client the publisher uses. The publisher owns retries: build
 * the client with `maxAttempts: 1`, or every publisher attempt hides the SDK's own.
 */
export interface EventBridgeSender {
  send(
    command: PutEventsCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<{ FailedEntryCount?: number; Entries?: PutEventsResultEntry[] }>;
}

export interface PublisherOptions {
  client: EventBridgeSender;
  busName: string;
  /** Request size budget, counted the way AWS counts it. */
  maxBatchBytes?: number;
  /**
   * Attempts for entries that failed with InternalFailure, a 5xx or a timed-out call. Throttled
   * entries are retried for as long as the deadline allows: throttling says "later", not "never".
   */
  retry?: RetryOptions;
  /** Epoch ms after which nothing is sent; what is left is recorded as undelivered. */
  deadline?: number;
  /** Longest one PutEvents call may take. */
  callTimeoutMs?: number;
  /** PutEvents calls in flight at once, so publishing overlaps paging. */
  maxInFlight?: number;
  clock?: RetryClock;
}

export interface FailedEntry {
  detailType: string;
  /** `findingId` (or `scanId/projectId`), so a failure can be traced to its event. */
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
const THROTTLED = 'ThrottlingException';
const RETRYABLE_ENTRY_CODES = new Set([THROTTLED, 'InternalFailure']);
const DEFAULT_PUBLISH_RETRY: RetryOptions = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 3_000 };
const DEFAULT_CALL_TIMEOUT_MS = 5_000;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** A serialised entry with what the publisher needs to account for it. */
interface Pending {
  entry: PutEventsRequestEntry;
  size: number;
  key: string;
  detailType: string;
  /** Attempts that failed for reasons other than throttling. */
  failures: number;
  /** Told once PutEvents accepted the entry (a transition counts as notified only then). */
  onDelivered: (() => void) | undefined;
}

/** An entry's size as AWS counts it: Source, DetailType, Detail, each Resource, plus 14 when Time is set. */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = utf8(entry.Source ?? '') + utf8(entry.DetailType ?? '') + utf8(entry.Detail ?? '');
  for (const r of entry.Resources ?? []) size += utf8(r);
  return size + (entry.Time ? 14 : 0);
}

/** The wire form of an event: its detail serialised exactly once. */
export function toEntry(event: OutboundEvent, busName: string): PutEventsRequestEntry {
  return {
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Resources: event.resources,
    Time: event.time,
    EventBusName: busName,
  };
}

function callFailure(error: unknown): { retryable: boolean; throttled: boolean; code: string; message: string } {
  const e = error as { name?: string; message?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = e?.name || 'PutEventsError';
  const throttled = name === THROTTLED || (e?.$metadata?.httpStatusCode ?? 0) === 429;
  const timedOut = name === 'AbortError' || name === 'TimeoutError' || name === 'RequestTimeout';
  const retryable = throttled || timedOut || !!e?.$retryable || (e?.$metadata?.httpStatusCode ?? 0) >= 500;
  return { retryable, throttled, code: timedOut ? 'CallTimedOut' : name, message: e?.message ?? String(error) };
}

/**
 * Buffers events into PutEvents calls of at most 10 entries within the byte budget, gives each
 * call a timeout inside the remaining budget, retries only the entries that failed with
 * ThrottlingException or InternalFailure (and calls that failed transiently), and records every
 * entry it could not deliver. Nothing is dropped without a record in `stats.failed`.
 */
export function createEventPublisher(options: PublisherOptions) {
  const maxBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const retry = options.retry ?? DEFAULT_PUBLISH_RETRY;
  const clock = options.clock ?? systemClock;
  const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const maxInFlight = Math.max(1, options.maxInFlight ?? 4);
  const stats: PublishStats = { calls: 0, published: 0, retriedEntries: 0, shrunk: 0, failed: [] };
  let buffer: Pending[] = [];
  let bufferBytes = 0;

  const fail = (p: Pending, errorCode: string, errorMessage: string) =>
    stats.failed.push({ detailType: p.detailType, key: p.key, errorCode, errorMessage });
  const remaining = () => (options.deadline === undefined ? Number.POSITIVE_INFINITY : options.deadline - clock.now());

  async function send(batch: Pending[]): Promise<void> {
    let pending = batch;
    for (let round = 1; pending.length > 0; round++) {
      const budget = remaining();
      if (budget <= 0) {
        for (const p of pending) fail(p, 'DeadlineReached', 'the run ran out of time before this entry was accepted');
        return;
      }
      stats.calls++;
      const retryable: Pending[] = [];
      const retryOrFail = (p: Pending, throttled: boolean, code: string, message: string) => {
        if (!throttled) p.failures++;
        // Without a deadline, throttling is bounded by the attempt count too.
        const exhausted = throttled
          ? options.deadline === undefined && round >= retry.maxAttempts
          : p.failures >= retry.maxAttempts;
        if (exhausted) fail(p, 'RetriesExhausted', `${code}: ${message}`);
        else retryable.push(p);
      };
      try {
        // Every call carries its own abort: the SDK's requestTimeout did not end a call to a bus
        // that accepted the connection and never answered (test/faults/scanner-faults.test.ts).
        const output = await options.client.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) }), {
          abortSignal: AbortSignal.timeout(Math.max(1, Math.min(callTimeoutMs, budget))),
        });
        const results = output.Entries ?? [];
        pending.forEach((p, i) => {
          const result = results[i];
          if (result?.EventId && !result.ErrorCode) {
            stats.published++;
            p.onDelivered?.();
          } else if (result?.ErrorCode && RETRYABLE_ENTRY_CODES.has(result.ErrorCode))
            retryOrFail(p, result.ErrorCode === THROTTLED, result.ErrorCode, result.ErrorMessage ?? '');
          else
            fail(
              p,
              result?.ErrorCode ?? 'MissingResult',
              result?.ErrorMessage ?? 'PutEvents returned no result for this entry',
            );
        });
      } catch (error) {
        const f = callFailure(error);
        for (const p of pending) {
          if (f.retryable) retryOrFail(p, f.throttled, f.code, f.message);
          else fail(p, f.code, f.message);
        }
      }
      if (retryable.length === 0) return;
      const delay = backoffDelay(Math.min(round, 10), retry, clock.random);
      if (delay >= remaining()) {
        for (const p of retryable) fail(p, 'DeadlineReached', 'the run ran out of time before a retry');
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
    /** Queues one event, sending a batch when the next entry would not fit; `onDelivered` runs once PutEvents accepted it. */
    async add(event: OutboundEvent, onDelivered?: () => void): Promise<void> {
      let entry = toEntry(event, options.busName);
      let size = entrySize(entry);
      const key = eventKey(event);
      if (size > maxBytes) {
        const shrunk = shrinkFinding(event);
        const shrunkEntry = shrunk && toEntry(shrunk, options.busName);
        if (shrunkEntry && entrySize(shrunkEntry) <= maxBytes) {
          entry = shrunkEntry;
          size = entrySize(shrunkEntry);
          stats.shrunk++;
        } else {
          stats.failed.push({
            detailType: event.detailType,
            key,
            errorCode: 'EntryTooLarge',
            errorMessage: `entry is ${size} bytes, over the ${maxBytes}-byte limit even when shrunk`,
          });
          return;
        }
      }
      if (buffer.length >= MAX_ENTRIES_PER_CALL || bufferBytes + size > maxBytes) await dispatch();
      buffer.push({ entry, size, key, detailType: event.detailType, failures: 0, onDelivered });
      bufferBytes += size;
      if (buffer.length >= MAX_ENTRIES_PER_CALL) await dispatch();
    },
    flush,
  };
}

export type EventPublisher = ReturnType<typeof createEventPublisher>;
