import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { type FindingsDeps, liftSuppression, listFindings, MAX_BODY_BYTES, suppressFinding } from '../lib/findings/api';
import { type ApprovalDeps, approveFinding, approveRule, withdrawApproval } from '../lib/findings/approval';
import { buildOnce, deadlineOf } from '../lib/lambda/handler';
import { createFunctionLogger, describeError, type Logger } from '../lib/observability/log';
import { parseApiEvent } from '../lib/proxy/api-event';
import { ProxyError } from '../lib/proxy/errors';
import { errorResponse, type HttpResponse, jsonResponse, toProxyError } from '../lib/proxy/http';
import type { Env } from '../lib/config/env';
import { loadFindingsApiSettings } from '../lib/wiring/settings/findings';
import { createFindingsStore } from '../lib/state/dynamo/findings-table';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createCleanupStore } from '../lib/cleanup/dynamo-store';
import type { OutboundEvent } from '../lib/events/contract';
import { createEventPublisher } from '../lib/events/publisher';

export interface FindingsHandlerDeps {
  api: (FindingsDeps & { publicBaseUrl?: string | undefined; approvals?: ApprovalDeps }) | Error;
  logger: Logger;
  now?: () => number;
}

type Event = APIGatewayProxyEventV2 & { requestContext: APIGatewayProxyEventV2['requestContext'] & { authorizer?: { iam?: { userArn?: string } } } };

/** Refuses a body over 4 KB before anything parses it. */
const bodyLimit = {
  before: async (request: { event: Event }) => {
    const body = request.event.body ?? '';
    const bytes = request.event.isBase64Encoded ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body, 'utf8');
    if (bytes > MAX_BODY_BYTES) throw new ProxyError(400, 'INVALID_BODY', `The body is ${bytes} bytes; at most ${MAX_BODY_BYTES} are accepted.`);
  },
};

/** JSON parsing for the one route with a body. */
const jsonBodyForPost = (() => {
  const parser = httpJsonBodyParser();
  return {
    before: async (request: { event: Event }) => {
      // Approvals take no body.
      if (request.event.requestContext?.http?.method === 'POST' && !isApproval(request.event)) await parser.before?.(request as never);
    },
  };
})();

const isApproval = (event: Event) => /\/approval\/?$/.test(event.rawPath ?? '');

/** The findings API: list, suppress, lift, approve a cleanup; every error in the EVS API's shape. */
export function createFindingsHandler(deps: FindingsHandlerDeps) {
  const { logger, api } = deps;

  async function findings(event: Event, context: Context): Promise<HttpResponse> {
    if (api instanceof Error) throw api;
    const request = parseApiEvent(event, api.publicBaseUrl);
    const deadline = deadlineOf(context);
    const method = event.requestContext?.http?.method ?? 'GET';
    const findingId = event.pathParameters?.finding_id;
    if (method === 'GET') return jsonResponse(await listFindings(api, { projectId: request.projectId, params: request.params, selfUrl: request.selfUrl, deadline }));
    if (isApproval(event)) {
      if (!api.approvals) throw new ProxyError(404, 'NOT_FOUND', 'Cleanup approvals are not served here.');
      // The approver is who IAM says signed the request, never something the body claims.
      const caller = event.requestContext?.authorizer?.iam?.userArn ?? 'unknown';
      const projectId = request.projectId;
      if (method === 'POST' && findingId === undefined) {
        const answer = await approveRule(api.approvals, { projectId, caller, params: request.params, deadline });
        logger.info('cleanup approved by rule', { projectId, rule: answer.rule, approved: answer.approved.length, caller });
        return jsonResponse(answer);
      }
      if (method === 'POST' || method === 'DELETE') {
        const answer = await (method === 'POST' ? approveFinding : withdrawApproval)(api.approvals, { projectId, findingId, caller, deadline });
        logger.info(method === 'POST' ? 'cleanup approved' : 'cleanup approval withdrawn', { projectId, findingId, caller });
        return jsonResponse(answer);
      }
    }
    if (method === 'POST') {
      const caller = event.requestContext?.authorizer?.iam?.userArn ?? 'unknown';
      const answer = await suppressFinding(api, { projectId: request.projectId, findingId, body: event.body, caller, deadline });
      logger.info('finding suppressed', { projectId: request.projectId, findingId, caller, until: answer.finding.suppression?.until });
      return jsonResponse(answer);
    }
    if (method === 'DELETE') {
      const answer = await liftSuppression(api, { projectId: request.projectId, findingId, deadline });
      logger.info('suppression lifted', { projectId: request.projectId, findingId, caller: event.requestContext?.authorizer?.iam?.userArn });
      return jsonResponse(answer);
    }
    throw new ProxyError(405, 'METHOD_NOT_ALLOWED', `${method} is not served here.`);
  }

  const mapErrors = {
    onError: async (request: { error: unknown; response: unknown }) => {
      const error = request.error as { statusCode?: number; message?: string };
      let mapped: ProxyError;
      // middy 7's http-json-body-parser: 415 for a wrong content type, 422 for broken JSON or a
      // forbidden key (__proto__); the API answers the latter as its own 400.
      if (error?.statusCode === 422) mapped = new ProxyError(400, 'INVALID_BODY', 'The body is not valid JSON.');
      else if (error?.statusCode === 415) mapped = new ProxyError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as Content-Type: application/json.');
      else mapped = toProxyError(request.error);
      const fields = { status: mapped.status, code: mapped.code, cause: describeError(mapped.cause ?? mapped, { stack: mapped.code === 'INTERNAL_ERROR' }) };
      if (mapped.status >= 500) logger.error('request failed', fields);
      else logger.info('request refused', fields);
      request.response = errorResponse(mapped);
    },
  };

  const middleware = middy<Event, HttpResponse>();
  if (logger.powertools) middleware.use(injectLambdaContext(logger.powertools, { resetKeys: true }));
  return middleware.use(bodyLimit).use(jsonBodyForPost).use(mapErrors).handler(findings);
}

/** The production dependencies, from an environment. */
export function findingsDepsFromEnv(env: Env = process.env, logger: Logger = createFunctionLogger('findings')): FindingsHandlerDeps {
  const api = buildOnce(() => {
    const settings = loadFindingsApiSettings(env);
    const busName = settings.eventBusName;
    let client: EventBridgeClient | undefined;
    const publish = busName
      ? async (event: OutboundEvent) => {
          client ??= new EventBridgeClient({ maxAttempts: 1, requestHandler: { requestTimeout: 3_000, connectionTimeout: 3_000 } });
          const sink = createEventPublisher({ client, busName, maxBatchBytes: 256 * 1024, retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 }, maxInFlight: 1, callTimeoutMs: 3_000, deadline: Date.now() + 5_000 });
          await sink.add(event);
          await sink.flush();
          // The audit item is written; an undelivered event is logged, not answered as a failed approval.
          if (sink.stats.failed.length > 0) logger.error('cleanup audit event undelivered', { errorCode: sink.stats.failed[0]?.errorCode });
        }
      : undefined;
    const approvals: ApprovalDeps = { cleanup: createCleanupStore({ tableName: settings.table }), allowedProjects: settings.allowedProjects, publish, source: settings.eventSource, region: settings.region };
    return { store: createFindingsStore({ tableName: settings.table }), allowedProjects: settings.allowedProjects, publicBaseUrl: settings.publicBaseUrl, approvals };
  }, logger);
  return { logger, api };
}

export const handler = createFindingsHandler(findingsDepsFromEnv());
