import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describeError, type Logger } from '../observability/log';

/**
 * Time every handler keeps back from Lambda's own deadline to hand its answer back: past it,
 * Lambda kills the invocation and whatever was done is lost.
 */
export const RESPONSE_MARGIN_MS = 500;

/** Epoch ms by which a handler's work must be done. */
export function deadlineOf(context: Pick<Context, 'getRemainingTimeInMillis'>, now: number = Date.now()): number {
  return now + Math.max(1, context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS);
}

/**
 * Builds a function's dependencies once per container. A bad configuration is kept and
 * logged, and every invocation then fails cleanly with it, instead of a crash loop at import.
 */
export function buildOnce<T>(build: () => T, logger: Logger): T | Error {
  try {
    return build();
  } catch (error) {
    logger.error('configuration is invalid', describeError(error));
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * A handler wrapped as every scheduled and queue function is: the Lambda context on the
 * Powertools logger (keys reset per invocation), metrics flushed after each invocation.
 */
export function withLoggingAndMetrics<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  logger: Logger,
  metrics: Metrics,
  options: { captureColdStartMetric?: boolean } = {},
) {
  const middleware = middy<E, R>();
  if (logger.powertools) middleware.use(injectLambdaContext(logger.powertools, { resetKeys: true }));
  return middleware.use(logMetrics(metrics, options)).handler(handler);
}
