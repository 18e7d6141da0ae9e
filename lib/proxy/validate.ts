import { type PageQuery, QUERY_KEYS, SNAPSHOT_STATUSES } from '../evs/types';
import { invalidParameter, ProxyError } from './errors';

const PROJECT_ID = /^[A-Za-z0-9-]{1,64}$/;
const RESOURCE_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const INTEGER = /^\d+$/;
const ALLOWED = new Set<string>(QUERY_KEYS);
const STATUSES = new Set<string>(SNAPSHOT_STATUSES);

/** Validates the project id from the path: ids only, no dots, slashes or encodings. */
export function validateProjectId(projectId: string | undefined): string {
  if (projectId === undefined || !PROJECT_ID.test(projectId)) {
    throw invalidParameter('project_id', 'must be 1 to 64 letters, digits or dashes');
  }
  return projectId;
}

function integerParam(name: string, value: string, min: number, max: number): number {
  if (!INTEGER.test(value) || Number(value) < min || Number(value) > max) {
    throw invalidParameter(name, `must be an integer from ${min} to ${max}`);
  }
  return Number(value);
}

/**
 * Validates the query string exactly per the API: only the six documented parameters, each
 * at most once. Everything else (`all_tenants`, `project_id`, `sort`, ...) is refused, so
 * nothing but allow-listed filters ever reaches the upstream.
 */
export function validateListQuery(params: Iterable<readonly [string, string]>): PageQuery {
  const query: PageQuery = {};
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (!ALLOWED.has(name)) {
      throw new ProxyError(
        400,
        'UNKNOWN_PARAMETER',
        `Unknown parameter "${name}": only ${QUERY_KEYS.join(', ')} are accepted.`,
      );
    }
    if (seen.has(name)) {
      throw new ProxyError(400, 'REPEATED_PARAMETER', `Parameter "${name}" is given more than once.`);
    }
    seen.add(name);
    switch (name) {
      case 'limit':
        query.limit = integerParam(name, value, 1, 1000);
        break;
      case 'offset':
        query.offset = integerParam(name, value, 0, 2_147_483_647);
        break;
      case 'name':
        if (Buffer.byteLength(value, 'utf8') > 255) throw invalidParameter(name, 'must be at most 255 bytes');
        query.name = value;
        break;
      case 'status':
        if (!STATUSES.has(value)) throw invalidParameter(name, `must be one of ${SNAPSHOT_STATUSES.join(', ')}`);
        query.status = value;
        break;
      case 'marker':
      case 'volume_id':
        if (!RESOURCE_ID.test(value)) throw invalidParameter(name, 'must be a UUID such as 8d1d0c3e-4a79-4a3c-9b8e-3f3c0f3b2a11');
        query[name] = value;
        break;
    }
  }
  return query;
}
