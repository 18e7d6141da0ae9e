import { describeError, type Logger } from '../observability/log';
import { errorResponse, type HttpError, toHttpError } from './errors';

export interface HttpErrorHandlerOptions {
  logger: Pick<Logger, 'info' | 'error'>;
  /** Log 4xx refusals too (at info); 5xx failures are always logged as errors. */
  logRefusals?: boolean;
  /** Called with the mapped error once the answer is set, e.g. for an access line. */
  onAnswer?: (error: HttpError) => void;
}

/**
 * The one error middleware of both APIs (register it after the others: middy runs onError last
 * registered first, so the answer is set before they see the error):
 * maps whatever was thrown through `toHttpError`, logs it without any upstream body, and
 * answers in the EVS API's error shape.
 */
export function httpErrorHandler(options: HttpErrorHandlerOptions) {
  return {
    onError: async (request: { error: unknown; response: unknown }) => {
      const mapped = toHttpError(request.error);
      const fields = {
        status: mapped.statusCode,
        code: mapped.code,
        cause: describeError(mapped.cause ?? mapped, { stack: mapped.code === 'INTERNAL_ERROR' }),
      };
      if (mapped.statusCode >= 500) options.logger.error('request failed', fields);
      else if (options.logRefusals) options.logger.info('request refused', fields);
      request.response = errorResponse(mapped);
      options.onAnswer?.(mapped);
    },
  };
}
