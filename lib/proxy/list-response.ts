import { fitsOneAnswer, type HttpResponse, JSON_HEADERS } from '../http/response';
import { UpstreamBadResponseError } from '../upstream/errors';
import type { ListAnswer } from './list-snapshots';

/** The upstream's page is a list, but too large for Lambda to deliver as one answer. */
export class AnswerTooLargeError extends UpstreamBadResponseError {
  override name = 'AnswerTooLargeError';
  constructor(requestId: string | undefined) {
    super('the answer is larger than Lambda can deliver', requestId);
  }

  override get safeMessage(): string {
    return 'The upstream page is too large for one answer; ask for a smaller limit.';
  }
}

/** The list answer in the EVS API's shape; refused as a 502 when Lambda could not deliver it. */
export function listResponse(answer: ListAnswer): HttpResponse {
  const links = answer.nextHref === undefined ? 'null' : JSON.stringify([{ rel: 'next', href: answer.nextHref }]);
  const body = `{"snapshots":${answer.snapshotsJson},"snapshots_links":${links}}`;
  if (!fitsOneAnswer(body)) throw new AnswerTooLargeError(answer.upstreamRequestId);
  return { statusCode: 200, headers: { ...JSON_HEADERS }, body };
}
