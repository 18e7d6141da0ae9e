import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from './loopback';

export interface ReceivedEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  Resources?: string[];
  EventBusName?: string;
  Time?: number;
}

/** The envelope EventBridge delivers to targets. */
export interface DeliveredEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface LocalRule {
  name: string;
  pattern: Record<string, unknown>;
  deliver: (event: DeliveredEvent) => void | Promise<void>;
}

export interface LocalEventBridgeOptions {
  port?: number;
  maxRequestBytes?: number;
  /** Per-entry failure injection: return an error code to fail that entry in this call. */
  failEntry?: (
    entry: ReceivedEntry,
    callNumber: number,
    indexInCall: number,
  ) => { ErrorCode: string; ErrorMessage: string } | undefined;
  /** Fail a whole call (e.g. 500) instead of answering it. */
  failCall?: (callNumber: number) => { status: number; type: string; message: string } | undefined;
  rules?: LocalRule[];
}

/** Minimal EventBridge pattern matching: value lists, nested objects, and `{ "prefix": ... }` / `{ "numeric": [">=", n] }`. */
export function matchesPattern(pattern: Record<string, unknown>, value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = record[key];
    if (Array.isArray(expected)) {
      const candidates = Array.isArray(actual) ? actual : [actual];
      return expected.some((option) => {
        if (option && typeof option === 'object') {
          const o = option as { prefix?: string; numeric?: [string, number] };
          if (o.prefix !== undefined)
            return candidates.some((c) => typeof c === 'string' && c.startsWith(o.prefix as string));
          if (o.numeric) {
            const [op, n] = o.numeric;
            return candidates.some(
              (c) =>
                typeof c === 'number' &&
                (op === '>=' ? c >= n : op === '>' ? c > n : op === '<' ? c < n : op === '<=' ? c <= n : c === n),
            );
          }
          return false;
        }
        return candidates.includes(option);
      });
    }
    if (expected && typeof expected === 'object') return matchesPattern(expected as Record<string, unknown>, actual);
    return false;
  });
}

const utf8 = (s: string | undefined) => Buffer.byteLength(s ?? '', 'utf8');

/**
 * A loopback endpoint speaking EventBridge's PutEvents (AWS JSON 1.1), for tests and the local
 * stack: the real SDK client reaches it through AWS_ENDPOINT_URL_EVENTBRIDGE. It enforces the
 * 10-entry and size limits, can fail chosen entries, and delivers matching events to rules.
 */
export async function startLocalEventBridge(options: LocalEventBridgeOptions = {}) {
  const received: Array<ReceivedEntry & { EventId: string }> = [];
  const maxBytes = options.maxRequestBytes ?? 256 * 1024;
  let calls = 0;

  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      const reply = (status: number, payload: unknown) => {
        res
          .writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() })
          .end(JSON.stringify(payload));
      };
      if (req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
        return reply(400, {
          __type: 'UnknownOperationException',
          message: `unsupported ${req.headers['x-amz-target']}`,
        });
      }
      const callNumber = ++calls;
      const callFailure = options.failCall?.(callNumber);
      if (callFailure) return reply(callFailure.status, { __type: callFailure.type, message: callFailure.message });
      const entries = (JSON.parse(body) as { Entries?: ReceivedEntry[] }).Entries ?? [];
      if (entries.length < 1 || entries.length > 10) {
        return reply(400, {
          __type: 'ValidationException',
          message: `1 validation error detected: Entries must have between 1 and 10 items, got ${entries.length}`,
        });
      }
      const size = entries.reduce(
        (sum, e) =>
          sum +
          utf8(e.Source) +
          utf8(e.DetailType) +
          utf8(e.Detail) +
          (e.Resources ?? []).reduce((s, r) => s + utf8(r), 0) +
          (e.Time !== undefined ? 14 : 0),
        0,
      );
      if (size > maxBytes)
        return reply(400, {
          __type: 'ValidationException',
          message: 'Total size of the entries in the request is over the limit.',
        });
      const results: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }> = [];
      const deliveries: Array<Promise<void>> = [];
      entries.forEach((entry, index) => {
        let detail: unknown;
        try {
          detail = JSON.parse(entry.Detail);
        } catch {
          detail = undefined;
        }
        if (!detail || typeof detail !== 'object' || Array.isArray(detail)) {
          results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
          return;
        }
        if (entry.Source?.startsWith('aws.')) {
          results.push({
            ErrorCode: 'NotAuthorizedForSourceException',
            ErrorMessage: 'Not authorized for the source.',
          });
          return;
        }
        const injected = options.failEntry?.(entry, callNumber, index);
        if (injected) {
          results.push(injected);
          return;
        }
        const EventId = randomUUID();
        received.push({ ...entry, EventId });
        results.push({ EventId });
        const event: DeliveredEvent = {
          version: '0',
          id: EventId,
          'detail-type': entry.DetailType,
          source: entry.Source,
          account: '000000000000',
          time: new Date(entry.Time !== undefined ? entry.Time * 1000 : Date.now())
            .toISOString()
            .replace(/\.\d{3}Z$/, 'Z'),
          region: 'local',
          resources: entry.Resources ?? [],
          detail,
        };
        for (const rule of options.rules ?? []) {
          if (matchesPattern(rule.pattern, event))
            deliveries.push(Promise.resolve(rule.deliver(event)).catch(() => undefined));
        }
      });
      reply(200, { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results });
      await Promise.all(deliveries);
    });
  });
  const bound = await listenOnLoopback(server, options.port);
  return {
    url: bound.url,
    received,
    get calls() {
      return calls;
    },
    close: bound.close,
  };
}

export type LocalEventBridge = Awaited<ReturnType<typeof startLocalEventBridge>>;
