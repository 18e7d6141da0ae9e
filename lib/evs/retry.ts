import { DeadlineExceededError, EvsError, UpstreamHttpError } from './errors';

export interface RetryOptions {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 };

export interface RetryClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export const systemClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** Whether an error may be retried: network errors, timeouts, 429 and 5xx; never auth failures. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof UpstreamHttpError) return error.retryable && !error.isAuthFailure;
  return error instanceof EvsError && error.retryable;
}

/** Capped full-jitter backoff, never shorter than the server's `Retry-After`. */
export function backoffDelay(attempt: number, options: RetryOptions, random: () => number, retryAfterMs?: number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterMs === undefined ? jittered : Math.max(jittered, retryAfterMs);
}

/**
 * Runs `attempt` until it succeeds, fails for good, runs out of attempts, or the next try
 * could not finish before `deadline` (epoch ms). `attempt` gets the time it may use.
 */
export async function retryIdempotent<T>(
  attempt: (budgetMs: number) => Promise<T>,
  options: RetryOptions,
  deadline: number,
  clock: RetryClock = systemClock,
): Promise<T> {
  let lastError: unknown;
  for (let n = 1; n <= options.maxAttempts; n++) {
    const budget = deadline - clock.now();
    if (budget <= 0) throw lastError ?? new DeadlineExceededError();
    try {
      return await attempt(budget);
    } catch (error) {
      lastError = error;
      if (!isRetryable(error) || n === options.maxAttempts) throw error;
      const retryAfter = error instanceof UpstreamHttpError ? error.retryAfterMs : undefined;
      const delay = backoffDelay(n, options, clock.random, retryAfter);
      // A wait that ends past the deadline would only turn a clear error into a timeout.
      if (clock.now() + delay >= deadline) throw error;
      await clock.sleep(delay);
    }
  }
  throw lastError;
}
