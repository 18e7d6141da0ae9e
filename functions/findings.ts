import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createCleanupStore } from '../lib/cleanup/dynamo-store';
import type { Env } from '../lib/config/env';
import { RequestError } from '../lib/core/errors';
import type { OutboundEvent } from '../lib/events/contract';
import { createEventPublisher } from '../lib/events/publisher';
import { type FindingsDeps, liftSuppression, listFindings, MAX_BODY_BYTES, suppressFinding } from '../lib/findings/api';
import { type ApprovalDeps, approveFinding, approveRule, withdrawApproval } from '../lib/findings/approval';
import { parseApiEvent } from '../lib/http/api-event';
import { bodyLimit, jsonBody } from '../lib/http/body';
import { httpErrorHandler } from '../lib/http/error-handler';
import { type HttpResponse, jsonResponse } from '../lib/http/response';
import { buildOnce, deadlineOf } from '../lib/lambda/handler';
import { createFunctionLogger, type Logger } from '../lib/observability/log';
import { createFindingsStore } from '../lib/state/dynamo/findings-table';
import { loadFindingsApiSettings } from '../lib/wiring/settings/findings';

export interface FindingsHandlerDeps {
  api: (FindingsDeps & { publicBaseUrl?: string | undefined; approvals?: ApprovalDeps }) | Error;
  logger: Logger;
  now?: () => number;
}

type Event = APIGatewayProxyEventV2 & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & { authorizer?: { iam?: { userArn?: string } } };
};

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
    if (method === 'GET')
      return jsonResponse(
        await listFindings(api, {
          projectId: request.projectId,
          params: request.params,
          selfUrl: request.selfUrl,
          deadline,
        }),
      );
    if (isApproval(event)) {
      if (!api.approvals) throw new RequestError('not-found', 'NOT_FOUND', 'Cleanup approvals are not served here.');
      // The approver is who IAM says signed the request, never something the body claims.
      const caller = event.requestContext?.authorizer?.iam?.userArn ?? 'unknown';
      const projectId = request.projectId;
      if (method === 'POST' && findingId === undefined) {
        const answer = await approveRule(api.approvals, { projectId, caller, params: request.params, deadline });
        logger.info('cleanup approved by rule', {
          projectId,
          rule: answer.rule,
          approved: answer.approved.length,
          caller,
        });
        return jsonResponse(answer);
      }
      if (method === 'POST' || method === 'DELETE') {
        const answer = await (method === 'POST' ? approveFinding : withdrawApproval)(api.approvals, {
          projectId,
          findingId,
          caller,
          deadline,
        });
        logger.info(method === 'POST' ? 'cleanup approved' : 'cleanup approval withdrawn', {
          projectId,
          findingId,
          caller,
        });
        return jsonResponse(answer);
      }
    }
    if (method === 'POST') {
      const caller = event.requestContext?.authorizer?.iam?.userArn ?? 'unknown';
      const answer = await suppressFinding(api, {
        projectId: request.projectId,
        findingId,
        body: event.body,
        caller,
        deadline,
      });
      logger.info('finding suppressed', {
        projectId: request.projectId,
        findingId,
        caller,
        until: answer.finding.suppression?.until,
      });
      return jsonResponse(answer);
    }
    if (method === 'DELETE') {
      const answer = await liftSuppression(api, { projectId: request.projectId, findingId, deadline });
      logger.info('suppression lifted', {
        projectId: request.projectId,
        findingId,
        caller: event.requestContext?.authorizer?.iam?.userArn,
      });
      return jsonResponse(answer);
    }
    throw new RequestError('unsupported-method', 'METHOD_NOT_ALLOWED', `${method} is not served here.`);
  }

  const middleware = middy<Event, HttpResponse>();
  if (logger.powertools) middleware.use(injectLambdaContext(logger.powertools, { resetKeys: true }));
  // Approvals take no body; the one route with a body is a POST.
  const bodyParser = jsonBody<Event>((event) => event.requestContext?.http?.method === 'POST' && !isApproval(event));
  return middleware
    .use(bodyLimit(MAX_BODY_BYTES))
    .use(bodyParser)
    .use(httpErrorHandler({ logger, logRefusals: true }))
    .handler(findings);
}

/** The production dependencies, from an environment. */
export function findingsDepsFromEnv(
  env: Env = process.env,
  logger: Logger = createFunctionLogger('findings'),
): FindingsHandlerDeps {
  const api = buildOnce(() => {
    const settings = loadFindingsApiSettings(env);
    const busName = settings.eventBusName;
    let client: EventBridgeClient | undefined;
    const publish = busName
      ? async (event: OutboundEvent) => {
          client ??= new EventBridgeClient({
            maxAttempts: 1,
            requestHandler: { requestTimeout: 3_000, connectionTimeout: 3_000 },
          });
          const sink = createEventPublisher({
            client,
            busName,
            maxBatchBytes: 256 * 1024,
            retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
            maxInFlight: 1,
            callTimeoutMs: 3_000,
            deadline: Date.now() + 5_000,
          });
          await sink.add(event);
          await sink.flush();
          // The audit item is written; an undelivered event is logged, not answered as a failed approval.
          if (sink.stats.failed.length > 0)
            logger.error('cleanup audit event undelivered', { errorCode: sink.stats.failed[0]?.errorCode });
        }
      : undefined;
    const approvals: ApprovalDeps = {
      cleanup: createCleanupStore({ tableName: settings.table }),
      allowedProjects: settings.allowedProjects,
      publish,
      source: settings.eventSource,
      region: settings.region,
    };
    return {
      store: createFindingsStore({ tableName: settings.table }),
      allowedProjects: settings.allowedProjects,
      publicBaseUrl: settings.publicBaseUrl,
      approvals,
    };
  }, logger);
  return { logger, api };
}

export const handler = createFindingsHandler(findingsDepsFromEnv());
