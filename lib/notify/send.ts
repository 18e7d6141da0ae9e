/**
 * Sending one rendered message to one destination: an HTTP POST of JSON, or an SNS publish.
 * The address is resolved from its secret at send time and never logged or returned; an outcome
 * says only whether to retry, and for how long the destination asked to be left alone.
 */
import type { SecretFetch } from '../secrets/reader';
import type { RenderedMessage } from './model';
import type { Destination } from './routes';

export type SendOutcome =
  | { ok: true; status: number }
  | { ok: false; retryable: boolean; retryAfterMs?: number; status?: number; error: string };

/** Sends one message; never throws for what the destination answered or for a network fault. */
export type Send = (destination: Destination, message: RenderedMessage) => Promise<SendOutcome>;

/** What the SNS client must do (the narrow shape of @aws-sdk/client-sns's PublishCommand). */
export type PublishToTopic = (input: { TopicArn: string; Subject: string; Message: string }) => Promise<void>;

export interface SenderOptions {
  fetch?: typeof fetch;
  fetchSecret?: SecretFetch;
  publish?: PublishToTopic;
  timeoutMs: number;
  /** Wall-clock time, for an HTTP-date Retry-After. */
  now?: () => number;
}

/** A destination's `Retry-After`: seconds or an HTTP date, capped at an hour. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), 3_600_000) : undefined;
}

// What a webhook answers when its URL was revoked or rotated: read the secret again once.
const REFUSED = new Set([401, 403, 404, 410]);
const ALERTMANAGER_PATH = '/api/v2/alerts';

/** The production sender: fetch for HTTP destinations, SNS publish for topics. */
export function createSender(options: SenderOptions): Send {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;

  const addressOf = async (d: Destination, force = false): Promise<string> => {
    if ('url' in d.address) return d.address.url;
    if ('topicArn' in d.address) return d.address.topicArn;
    if (!options.fetchSecret) throw new Error(`no secret reader for destination ${d.name}`);
    return (await options.fetchSecret(d.address.secret, { force })).trim();
  };

  const post = async (d: Destination, url: string, body: unknown): Promise<SendOutcome> => {
    if (!/^https?:\/\//.test(url))
      return { ok: false, retryable: false, error: `the secret of destination ${d.name} does not hold an http(s) URL` };
    const to =
      d.kind === 'alertmanager' && !url.replace(/\/+$/, '').endsWith(ALERTMANAGER_PATH)
        ? `${url.replace(/\/+$/, '')}${ALERTMANAGER_PATH}`
        : url;
    let response: Response;
    try {
      response = await doFetch(to, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      // The cause's name only: a fetch error's message may carry the URL.
      return { ok: false, retryable: true, error: `no answer (${(error as Error).name})` };
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.ok) return { ok: true, status: response.status };
    const retryable = response.status === 429 || response.status === 408 || response.status >= 500;
    const after = retryAfterMs(response.headers.get('retry-after'), now());
    return {
      ok: false,
      retryable,
      status: response.status,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
      error: `HTTP ${response.status}`,
    };
  };

  const publish = async (
    d: Destination,
    arn: string,
    message: Extract<RenderedMessage, { kind: 'sns' }>,
  ): Promise<SendOutcome> => {
    if (!/^arn:aws[a-z-]*:sns:/.test(arn))
      return {
        ok: false,
        retryable: false,
        error: `the secret of destination ${d.name} does not hold an SNS topic ARN`,
      };
    if (!options.publish) return { ok: false, retryable: false, error: 'no SNS client' };
    try {
      await options.publish({ TopicArn: arn, Subject: message.subject, Message: message.message });
      return { ok: true, status: 200 };
    } catch (error) {
      const e = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode ?? 0;
      const retryable =
        Boolean(e.$retryable) ||
        status === 0 ||
        status === 429 ||
        status >= 500 ||
        e.name === 'ThrottledException' ||
        e.name === 'KMSThrottlingException';
      return { ok: false, retryable, error: `SNS ${e.name ?? 'error'}` };
    }
  };

  return async (d, message) => {
    let address: string;
    try {
      address = await addressOf(d);
    } catch (error) {
      return { ok: false, retryable: true, error: (error as Error).message };
    }
    if (message.kind === 'sns') return publish(d, address, message);
    const first = await post(d, address, message.body);
    if (!first.ok && 'secret' in d.address && first.status !== undefined && REFUSED.has(first.status)) {
      const fresh = await addressOf(d, true).catch(() => address);
      if (fresh !== address) return post(d, fresh, message.body);
    }
    return first;
  };
}
