import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { type FindingsDeps, liftSuppression, listFindings, MAX_BODY_BYTES, suppressFinding } from '../lib/findings/api';
import { buildOnce, deadlineOf } from '../lib/lambda/handler';
import { createFunctionLogger, describeError, type Logger } from '../lib/log';
import { parseApiEvent } from '../lib/proxy/api-event';
import { ProxyError } from '../lib/proxy/errors';
import { errorResponse, type HttpResponse, jsonResponse, toProxyError } from '../lib/proxy/http';
import type { Env } from '../lib/settings/env';
import { loadFindingsApiSettings } from '../lib/settings/findings';
import { createFindingsStore } from '../lib/state/dynamo-store';

export interface FindingsHandlerDeps {
  api: (FindingsDeps & { publicBaseUrl?: string | undefined }) | Error;
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
      if (request.event.requestContext?.http?.method === 'POST') await parser.before?.(request as never);
    },
  };
})();

/** The findings API: list, suppress, lift; every error in the seed's shape. */
export function createFindingsHandler(deps: FindingsHandlerDeps) {
  const { logger, api } = deps;
  const now = deps.now ?? Date.now;

  async function findings(event: Event, context: Context): Promise<HttpResponse> {
    if (api instanceof Error) throw api;
    const request = parseApiEvent(event, api.publicBaseUrl);
    const deadline = deadlineOf(context);
    const method = event.requestContext?.http?.method ?? 'GET';
    const findingId = event.pathParameters?.finding_id;
    if (method === 'GET') return jsonResponse(await listFindings(api, { projectId: request.projectId, params: request.params, selfUrl: request.selfUrl, deadline }));
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
    return { store: createFindingsStore({ tableName: settings.table }), allowedProjects: settings.allowedProjects, publicBaseUrl: settings.publicBaseUrl };
  }, logger);
  return { logger, api };
}

export const handler = createFindingsHandler(findingsDepsFromEnv());
