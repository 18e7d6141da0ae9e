import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { lambdaContext as makeContext } from '../../tools/local/loopback';

const root = fileURLToPath(new URL('../../events/', import.meta.url));

/** Loads a committed sample event from `events/`. */
export function loadEvent<T>(name: string): T {
  return JSON.parse(readFileSync(`${root}${name}`, 'utf8')) as T;
}

export interface EventOverrides {
  projectId?: string;
  /** Query string as a caller would send it (repeats allowed). */
  query?: string;
  host?: string;
  proto?: string;
}

/** The HTTP API sample event, re-aimed at a project and query the way API Gateway would build it. */
export function httpApiEvent(overrides: EventOverrides = {}): APIGatewayProxyEventV2 {
  const event = loadEvent<APIGatewayProxyEventV2>('http-api-list-snapshots.json');
  const projectId = overrides.projectId ?? event.pathParameters?.project_id ?? '';
  const query = overrides.query ?? event.rawQueryString;
  const path = `/v2/${projectId}/snapshots`;
  const single: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) single[k] = single[k] === undefined ? v : `${single[k]},${v}`;
  return {
    ...event,
    rawPath: path,
    rawQueryString: query,
    queryStringParameters: query ? single : undefined,
    pathParameters: { project_id: projectId },
    headers: {
      ...event.headers,
      ...(overrides.host ? { host: overrides.host } : {}),
      ...(overrides.proto ? { 'x-forwarded-proto': overrides.proto } : {}),
    },
    requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path } },
  };
}

/** The REST API sample event, re-aimed the same way. */
export function restApiEvent(overrides: EventOverrides = {}): APIGatewayProxyEvent {
  const event = loadEvent<APIGatewayProxyEvent>('rest-api-list-snapshots.json');
  const projectId = overrides.projectId ?? event.pathParameters?.project_id ?? '';
  const params = new URLSearchParams(overrides.query ?? 'status=available&limit=50');
  const multi: Record<string, string[]> = {};
  const single: Record<string, string> = {};
  for (const [k, v] of params) {
    (multi[k] ??= []).push(v);
    single[k] = v;
  }
  const empty = [...params].length === 0;
  return {
    ...event,
    path: `/v2/${projectId}/snapshots`,
    pathParameters: { project_id: projectId },
    queryStringParameters: empty ? null : single,
    multiValueQueryStringParameters: empty ? null : multi,
    requestContext: { ...event.requestContext, path: `/prod/v2/${projectId}/snapshots` },
  };
}

/** A Lambda context with a remaining-time budget. */
export function lambdaContext(remainingMs = 10_000): Context {
  return makeContext(remainingMs, 'test');
}
