import { backoffDelay, type RetryClock, type RetryOptions, systemClock } from '../core/retry';
import { DeadlineExceededError, EvsError, UpstreamHttpError } from './errors';

export { type RetryClock, type RetryOptions, systemClock } from '../core/retry';

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 };

/** Whether an error may be retried: network errors, timeouts, 429 and 5xx; never auth failures. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof UpstreamHttpError) return error.retryable && !error.isAuthFailure;
  return error instanceof EvsError && error.retryable;
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
