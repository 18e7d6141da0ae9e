import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { SQSEvent } from 'aws-lambda';
import { listenOnLoopback } from './loopback';

interface Message {
  messageId: string;
  body: string;
  groupId: string;
  dedupId: string;
  sentAt: number;
  receiveCount: number;
  /** Not before this time (visibility timeout after a failed delivery). */
  visibleAt: number;
}

export interface LocalFifoQueueOptions {
  port?: number;
  /** Where messages go, as the Lambda event source would send them; answers the batch response. */
  deliver?: (event: SQSEvent) => Promise<{ batchItemFailures?: Array<{ itemIdentifier: string }> } | undefined>;
  /** Delivered again after a failure this long later (the visibility timeout; short locally). */
  visibilityMs?: number;
  /** After this many receives a failing message goes to the dead-letter list. */
  maxReceiveCount?: number;
  /** Deliveries at once over all groups (Lambda's concurrency for the event source). */
  maxConcurrency?: number;
  /** Hold deliveries until resume() (tests: a worker that never runs). */
  paused?: boolean;
}

const QUEUE_NAME = 'evs-snapshot-sentinel-work.fifo';

/**
 * A loopback SQS FIFO queue for the local stack and tests: the real SDK client sends to it
 * (SendMessage / SendMessageBatch, AWS JSON 1.0, through AWS_ENDPOINT_URL_SQS), and it plays the
 * Lambda event source: batches of one, at most one message in flight per message group (FIFO's
 * rule, which is how the per-target cap works in AWS too), deduplication ids remembered for five
 * minutes, failed items delivered again after the visibility timeout and moved to a dead-letter
 * list after `maxReceiveCount` receives.
 */
export async function startLocalFifoQueue(options: LocalFifoQueueOptions = {}) {
  const queue: Message[] = [];
  const deadLetters: Message[] = [];
  const dedup = new Map<string, number>();
  const inFlightGroups = new Set<string>();
  const sent: Array<{ groupId: string; body: string }> = [];
  let delivering = 0;
  let maxGroupsInFlight = 0;
  let paused = options.paused ?? false;
  let timer: NodeJS.Timeout | undefined;
  let url = '';
  let closed = false;
  const idle: Array<() => void> = [];
  const maxReceive = options.maxReceiveCount ?? 3;
  const visibilityMs = options.visibilityMs ?? 200;

  const accept = (entry: { MessageBody?: string; MessageGroupId?: string; MessageDeduplicationId?: string }) => {
    if (!entry.MessageBody || !entry.MessageGroupId)
      return {
        error: {
          Code: 'MissingParameter',
          Message: 'MessageBody and MessageGroupId are required on a FIFO queue',
          SenderFault: true,
        },
      };
    const dedupId = entry.MessageDeduplicationId ?? createHash('sha256').update(entry.MessageBody).digest('hex');
    const now = Date.now();
    const seenAt = dedup.get(dedupId);
    const messageId = randomUUID();
    // A copy within five minutes is accepted and dropped, as SQS does.
    if (seenAt !== undefined && now - seenAt < 5 * 60_000) return { messageId };
    dedup.set(dedupId, now);
    queue.push({
      messageId,
      body: entry.MessageBody,
      groupId: entry.MessageGroupId,
      dedupId,
      sentAt: now,
      receiveCount: 0,
      visibleAt: 0,
    });
    sent.push({ groupId: entry.MessageGroupId, body: entry.MessageBody });
    schedule(0);
    return { messageId };
  };

  function schedule(ms: number) {
    if (closed || paused) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(pump, ms);
  }

  function pump() {
    timer = undefined;
    if (closed || paused || !options.deliver) return;
    const now = Date.now();
    let nextVisible = Number.POSITIVE_INFINITY;
    for (const m of [...queue]) {
      if (delivering >= (options.maxConcurrency ?? 100)) break;
      if (inFlightGroups.has(m.groupId)) continue;
      // FIFO order within a group: only its oldest message may go.
      if (queue.find((q) => q.groupId === m.groupId) !== m) continue;
      if (m.visibleAt > now) {
        nextVisible = Math.min(nextVisible, m.visibleAt);
        continue;
      }
      inFlightGroups.add(m.groupId);
      maxGroupsInFlight = Math.max(maxGroupsInFlight, inFlightGroups.size);
      delivering++;
      m.receiveCount++;
      void deliverOne(m);
    }
    if (Number.isFinite(nextVisible)) schedule(Math.max(1, nextVisible - now));
    if (delivering === 0 && queue.length === 0) for (const resolve of idle.splice(0)) resolve();
  }

  async function deliverOne(m: Message) {
    const event: SQSEvent = {
      Records: [
        {
          messageId: m.messageId,
          receiptHandle: `${m.messageId}#${m.receiveCount}`,
          body: m.body,
          attributes: {
            ApproximateReceiveCount: String(m.receiveCount),
            SentTimestamp: String(m.sentAt),
            SenderId: 'local',
            ApproximateFirstReceiveTimestamp: String(Date.now()),
            MessageGroupId: m.groupId,
            MessageDeduplicationId: m.dedupId,
          },
          messageAttributes: {},
          md5OfBody: createHash('md5').update(m.body).digest('hex'),
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:eu-west-1:000000000000:${QUEUE_NAME}`,
          awsRegion: 'eu-west-1',
        },
      ],
    };
    let failed = true;
    try {
      const response = await options.deliver?.(event);
      failed = (response?.batchItemFailures ?? []).some((f) => f.itemIdentifier === m.messageId);
    } catch {
      failed = true;
    }
    const index = queue.indexOf(m);
    if (!failed || m.receiveCount >= maxReceive) {
      if (index >= 0) queue.splice(index, 1);
      if (failed) deadLetters.push(m);
    } else {
      m.visibleAt = Date.now() + visibilityMs;
    }
    inFlightGroups.delete(m.groupId);
    delivering--;
    schedule(0);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, {
          'Content-Type': 'application/x-amz-json-1.0',
          ...(status >= 400 ? { 'x-amzn-query-error': `${(body as { __type?: string }).__type};Sender` } : {}),
        });
        res.end(JSON.stringify(body));
      };
      let input: {
        Entries?: Array<{ Id: string; MessageBody?: string; MessageGroupId?: string; MessageDeduplicationId?: string }>;
        MessageBody?: string;
        MessageGroupId?: string;
        MessageDeduplicationId?: string;
      };
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        send(400, { __type: 'com.amazon.coral.service#SerializationException', message: 'not JSON' });
        return;
      }
      if (target === 'AmazonSQS.SendMessageBatch') {
        const entries = input.Entries ?? [];
        if (entries.length === 0 || entries.length > 10) {
          send(400, {
            __type: 'com.amazonaws.sqs#TooManyEntriesInBatchRequest',
            message: 'a batch holds 1 to 10 entries',
          });
          return;
        }
        const Successful: unknown[] = [];
        const Failed: unknown[] = [];
        for (const entry of entries) {
          const r = accept(entry);
          if ('error' in r && r.error) Failed.push({ Id: entry.Id, ...r.error });
          else
            Successful.push({
              Id: entry.Id,
              MessageId: r.messageId,
              MD5OfMessageBody: createHash('md5')
                .update(entry.MessageBody ?? '')
                .digest('hex'),
            });
        }
        send(200, { Successful, Failed });
        return;
      }
      if (target === 'AmazonSQS.SendMessage') {
        const r = accept(input);
        if ('error' in r && r.error)
          send(400, { __type: `com.amazonaws.sqs#${r.error.Code}`, message: r.error.Message });
        else
          send(200, {
            MessageId: r.messageId,
            MD5OfMessageBody: createHash('md5')
              .update(input.MessageBody ?? '')
              .digest('hex'),
          });
        return;
      }
      send(400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: `unsupported target ${target}` });
    });
  });

  const bound = await listenOnLoopback(server, options.port);
  url = `${bound.url}/000000000000/${QUEUE_NAME}`;
  return {
    endpoint: bound.url,
    /** The queue URL to give the dispatcher (SCAN_QUEUE_URL). */
    queueUrl: url,
    sent,
    deadLetters,
    get waiting() {
      return queue.length;
    },
    get maxGroupsInFlight() {
      return maxGroupsInFlight;
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      schedule(0);
    },
    /** Resolves once every message is delivered (or dead-lettered) and nothing is in flight. */
    drained(): Promise<void> {
      if (queue.length === 0 && delivering === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
    /** Forgets the deduplication ids (as five minutes passing would). */
    forgetDeduplication() {
      dedup.clear();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await bound.close();
    },
  };
}

export type LocalFifoQueue = Awaited<ReturnType<typeof startLocalFifoQueue>>;
