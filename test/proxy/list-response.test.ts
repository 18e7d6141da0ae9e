import { describe, expect, it } from 'vitest';
import { errorResponse } from '../../lib/http/errors';
import { MAX_ANSWER_BYTES } from '../../lib/http/response';
import { listResponse } from '../../lib/proxy/list-response';

describe('the list answer', () => {
  it('carries the rows and the next link in the EVS API shape', () => {
    const response = listResponse({
      snapshotsJson: '[{"id":"a"}]',
      nextHref: 'https://x/v2/p/snapshots?marker=a',
      upstreamRequestId: 'req-1',
    });
    expect(response).toEqual({
      statusCode: 200,
      headers: { 'Content-Type': 'application/json' },
      body: '{"snapshots":[{"id":"a"}],"snapshots_links":[{"rel":"next","href":"https://x/v2/p/snapshots?marker=a"}]}',
    });
  });

  it('is refused as a 502 asking for a smaller limit when Lambda could not deliver it', () => {
    const rows = `["${'x'.repeat(MAX_ANSWER_BYTES)}"]`;
    let refusal: unknown;
    try {
      listResponse({ snapshotsJson: rows, nextHref: undefined, upstreamRequestId: 'req-9' });
    } catch (error) {
      refusal = error;
    }
    const response = errorResponse(refusal);
    expect(response.statusCode).toBe(502);
    expect(response.headers['X-Upstream-Request-Id']).toBe('req-9');
    expect(JSON.parse(response.body)).toEqual({
      computeFault: {
        code: 'UPSTREAM_BAD_RESPONSE',
        message: 'The upstream page is too large for one answer; ask for a smaller limit.',
      },
    });
  });
});
