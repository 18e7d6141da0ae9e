import { describe, expect, it } from 'vitest';
import { normaliseUpstreamError } from '../../lib/upstream/errors';

const headers = (h: Record<string, string> = {}) => new Headers(h);

describe('upstream error normaliser', () => {
  it('reads a Cinder fault with an integer code, keeping the fault name as the code', () => {
    const e = normaliseUpstreamError(
      404,
      '{"itemNotFound": {"message": "Snapshot x could not be found.", "code": 404}}',
      headers({ 'x-openstack-request-id': 'req-0b2d9c3c-6b0d-4a6e-8f1e-2b7a4f3d9e1c' }),
    );
    expect(e).toMatchObject({
      status: 404,
      upstreamCode: 'itemNotFound',
      faultName: 'itemNotFound',
      upstreamMessage: 'Snapshot x could not be found.',
      requestId: 'req-0b2d9c3c-6b0d-4a6e-8f1e-2b7a4f3d9e1c',
    });
  });

  it('reads an EVS error with a string EVS.xxxx code', () => {
    const e = normaliseUpstreamError(
      400,
      '{"error": {"message": "Invalid volume id", "code": "EVS.1002"}}',
      headers({ 'X-Request-Id': 'a0e5ba1d1ba2bc4f2d0a8f9b7c3e4d5f' }),
    );
    expect(e).toMatchObject({
      status: 400,
      upstreamCode: 'EVS.1002',
      faultName: undefined,
      upstreamMessage: 'Invalid volume id',
      requestId: 'a0e5ba1d1ba2bc4f2d0a8f9b7c3e4d5f',
    });
  });

  it("reads the seed's variant: a fault key with a string code", () => {
    const e = normaliseUpstreamError(404, '{"itemNotFound": {"message": "not here", "code": "EVS.0404"}}', headers());
    expect(e).toMatchObject({ upstreamCode: 'EVS.0404', faultName: 'itemNotFound', upstreamMessage: 'not here' });
  });

  it('reads an API gateway error, taking the request id from the body when no header has it', () => {
    const e = normaliseUpstreamError(
      401,
      '{"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information", "request_id": "a0e5ba1d1ba2bc4f2d0a8f9b7c3e4d5f"}',
      headers(),
    );
    expect(e).toMatchObject({
      status: 401,
      upstreamCode: 'APIGW.0301',
      code: 'UPSTREAM_AUTH_FAILED',
      upstreamMessage: 'Incorrect IAM authentication information',
      requestId: 'a0e5ba1d1ba2bc4f2d0a8f9b7c3e4d5f',
    });
    expect(e.isAuthFailure).toBe(true);
    expect(e.retryable).toBe(false);
  });

  it('falls back to the status for bodies that are not JSON, and marks 5xx and 429 retryable', () => {
    const e = normaliseUpstreamError(503, '<html>busy</html>', headers({ 'Retry-After': '2' }));
    expect(e).toMatchObject({
      status: 503,
      upstreamCode: 'serviceUnavailable',
      code: 'UPSTREAM_ERROR',
      upstreamMessage: 'HTTP 503',
      retryAfterMs: 2000,
      retryable: true,
    });
    expect(normaliseUpstreamError(429, '', headers()).retryable).toBe(true);
    expect(normaliseUpstreamError(400, '', headers()).retryable).toBe(false);
  });

  it('reads Retry-After given as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const e = normaliseUpstreamError(429, '', headers({ 'Retry-After': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now);
    expect(e.retryAfterMs).toBe(3000);
  });
});
