import { describe, expect, it } from 'vitest';
import { ConfigError, RequestError, type RequestFault } from '../../lib/core/errors';
import { bodyLimit, jsonBody } from '../../lib/http/body';
import { errorResponse } from '../../lib/http/errors';
import { StateUnavailableError } from '../../lib/state/errors';
import { DeadlineExceededError, normaliseUpstreamError, UpstreamTimeoutError } from '../../lib/upstream/errors';

const REQ1 = 'req-8d1d0c3e-4a79-4a3c-9b8e-3f3c0f3b2a11';
const REQ2 = '0123456789abcdef0123456789abcdef';

const answer = (error: unknown) => {
  const response = errorResponse(error);
  return {
    status: response.statusCode,
    headers: response.headers,
    body: JSON.parse(response.body) as Record<string, { message: string; code: string }>,
  };
};

describe('the one error-to-HTTP mapping', () => {
  it.each([
    ['invalid', 400, 'badRequest'],
    ['forbidden', 403, 'forbidden'],
    ['not-found', 404, 'itemNotFound'],
    ['unsupported-method', 405, 'badMethod'],
    ['conflict', 409, 'conflictingRequest'],
    ['unsupported-media-type', 415, 'badMediaType'],
  ] as Array<[RequestFault, number, string]>)(
    'answers a %s request with %d under %s, its code and its own message',
    (fault, status, faultName) => {
      expect(answer(new RequestError(fault, 'SOME_CODE', 'What was wrong.'))).toEqual({
        status,
        headers: { 'Content-Type': 'application/json' },
        body: { [faultName]: { code: 'SOME_CODE', message: 'What was wrong.' } },
      });
    },
  );

  it('answers a bug as a 500 with nothing of the error in it', () => {
    expect(answer(new TypeError('secret-host.internal exploded'))).toEqual({
      status: 500,
      headers: { 'Content-Type': 'application/json' },
      body: { computeFault: { code: 'INTERNAL_ERROR', message: 'The proxy failed unexpectedly.' } },
    });
  });

  it('answers a configuration error as a 500 that points at the logs, not at the setting', () => {
    expect(answer(new ConfigError('ALLOWED_PROJECT_IDS is not set')).body).toEqual({
      computeFault: { code: 'PROXY_MISCONFIGURED', message: 'The proxy is misconfigured; its logs say how.' },
    });
  });

  it('answers a spent time budget as the upstream timeout callers know', () => {
    const timeout = answer(new UpstreamTimeoutError(100));
    expect(answer(new DeadlineExceededError())).toEqual(timeout);
    expect(timeout).toMatchObject({
      status: 504,
      body: { computeFault: { code: 'UPSTREAM_TIMEOUT', message: 'The upstream did not answer in time.' } },
    });
  });

  it('answers an unreadable findings table as a 502 with its safe sentence', () => {
    expect(answer(new StateUnavailableError('dynamodb said no at 10.0.0.1'))).toEqual({
      status: 502,
      headers: { 'Content-Type': 'application/json' },
      body: {
        computeFault: { code: 'STATE_UNAVAILABLE', message: 'The findings table could not be read or written.' },
      },
    });
  });

  it("passes on the upstream's refusal of the caller's request with its status, fault, cleaned message, request id and Retry-After", () => {
    const headers = new Headers({ 'x-openstack-request-id': REQ1, 'retry-after': '2' });
    const refused = normaliseUpstreamError(
      404,
      JSON.stringify({ itemNotFound: { message: 'no such marker at https://cinder.internal:8776', code: 404 } }),
      headers,
    );
    expect(answer(refused)).toEqual({
      status: 404,
      headers: { 'Content-Type': 'application/json', 'X-Upstream-Request-Id': REQ1, 'Retry-After': '2' },
      body: { itemNotFound: { code: '404', message: 'no such marker at [url]' } },
    });
    const throttled = normaliseUpstreamError(
      429,
      JSON.stringify({ error: { code: 'EVS.0429', message: 'slow down' } }),
      new Headers(),
    );
    expect(answer(throttled)).toEqual({
      status: 429,
      headers: { 'Content-Type': 'application/json' },
      body: { overLimit: { code: 'EVS.0429', message: 'slow down' } },
    });
  });

  it("answers an upstream failure with its code's status and sentence, never the upstream's text", () => {
    const failed = normaliseUpstreamError(
      500,
      JSON.stringify({ error: { code: 'EVS.9999', message: 'stack at db-7.corp' } }),
      new Headers({ 'x-request-id': REQ2 }),
    );
    expect(answer(failed)).toEqual({
      status: 502,
      headers: { 'Content-Type': 'application/json', 'X-Upstream-Request-Id': REQ2 },
      body: {
        computeFault: {
          code: 'UPSTREAM_ERROR',
          message: `The upstream failed (HTTP 500). Upstream request id: ${REQ2}.`,
        },
      },
    });
  });
});

describe('request bodies', () => {
  const post = (body: string | undefined, contentType = 'application/json') => ({
    event: { body, headers: { 'content-type': contentType } } as { body?: unknown; headers: Record<string, string> },
  });
  const refusedAs = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      return answer(error);
    }
    throw new Error('accepted');
  };
  const parse = jsonBody(() => true);

  it('parses a JSON body in place', async () => {
    const request = post('{"until":"2027-01-01T00:00:00Z"}');
    await parse.before(request);
    expect(request.event.body).toEqual({ until: '2027-01-01T00:00:00Z' });
  });

  it.each([
    ['broken JSON', post('{"until": '), 400, 'INVALID_BODY', 'The body is not valid JSON.'],
    ['a forbidden key', post('{"__proto__": {"admin": true}}'), 400, 'INVALID_BODY', 'The body is not valid JSON.'],
    ['no body', post(undefined), 400, 'INVALID_BODY', 'The body is not valid JSON.'],
    [
      'a wrong content type',
      post('{}', 'text/plain'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the body as Content-Type: application/json.',
    ],
  ] as const)('refuses %s', async (_what, request, status, code, message) => {
    expect(await refusedAs(() => parse.before(request))).toMatchObject({
      status,
      body: { [status === 415 ? 'badMediaType' : 'badRequest']: { code, message } },
    });
  });

  it('leaves a request it does not apply to alone', async () => {
    const request = post('not json', 'text/plain');
    await jsonBody(() => false).before(request);
    expect(request.event.body).toBe('not json');
  });

  it('refuses a body over the limit before parsing, naming both sizes', async () => {
    expect(await refusedAs(() => bodyLimit(10).before(post('{"reason":"too long"}')))).toMatchObject({
      status: 400,
      body: { badRequest: { code: 'INVALID_BODY', message: 'The body is 21 bytes; at most 10 are accepted.' } },
    });
    await bodyLimit(21).before(post('{"reason":"too long"}'));
  });
});
