import httpJsonBodyParser from '@middy/http-json-body-parser';
import { RequestError } from '../core/errors';

interface BodyEvent {
  body?: unknown;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined>;
}

/** Refuses a body over `maxBytes` before anything parses it: 400 INVALID_BODY. */
export function bodyLimit(maxBytes: number) {
  return {
    before: async (request: { event: BodyEvent }) => {
      const body = typeof request.event.body === 'string' ? request.event.body : '';
      const bytes = request.event.isBase64Encoded ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body, 'utf8');
      if (bytes > maxBytes)
        throw new RequestError(
          'invalid',
          'INVALID_BODY',
          `The body is ${bytes} bytes; at most ${maxBytes} are accepted.`,
        );
    },
  };
}

/**
 * Parses a JSON body (middy's parser: content type checked, `__proto__` refused) for the
 * requests `applies` picks, and turns the parser's refusals into request errors by where they
 * came from, never by their wording: a wrong content type is 415 UNSUPPORTED_MEDIA_TYPE, a
 * missing, broken or forbidden body 400 INVALID_BODY.
 */
export function jsonBody<E extends BodyEvent>(applies: (event: E) => boolean) {
  const parser = httpJsonBodyParser();
  return {
    before: async (request: { event: E }) => {
      if (!applies(request.event)) return;
      try {
        await parser.before?.(request as never);
      } catch (error) {
        const status = (error as { statusCode?: unknown }).statusCode;
        if (status === 415)
          throw new RequestError(
            'unsupported-media-type',
            'UNSUPPORTED_MEDIA_TYPE',
            'Send the body as Content-Type: application/json.',
            { cause: error },
          );
        if (status === 422)
          throw new RequestError('invalid', 'INVALID_BODY', 'The body is not valid JSON.', { cause: error });
        throw error;
      }
    },
  };
}
