import { SNAPSHOT_STATUSES } from '../domain/snapshot';
import { invalidParameter, onlyKnownParams } from '../http/query';
import { type PageQuery, QUERY_KEYS } from '../upstream/types';

/** The most rows one answer carries: the EVS API's maximum `limit`. */
export const MAX_PAGE_SIZE = 1000;

const RESOURCE_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const INTEGER = /^\d+$/;
const STATUSES = new Set<string>(SNAPSHOT_STATUSES);

/** A checked query; `limit` is the page size, `requestedLimit` what the caller asked for (kept in next links, as Cinder does). */
export interface ValidatedQuery extends PageQuery {
  requestedLimit?: number;
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
 *
 * `limit` above 1000 is not refused: the EVS API caps it at 1000, and OpenStack clients send the
 * total they want and rely on the server to cap the page and link onwards (Cinder's
 * `osapi_max_limit`). The answer holds at most 1000 rows and a next link.
 */
export function validateListQuery(params: Iterable<readonly [string, string]>): ValidatedQuery {
  const query: ValidatedQuery = {};
  for (const [name, value] of onlyKnownParams(params, QUERY_KEYS)) {
    switch (name) {
      case 'limit':
        if (!INTEGER.test(value) || Number(value) < 1)
          throw invalidParameter(
            name,
            `must be an integer of at least 1 (an answer holds at most ${MAX_PAGE_SIZE} rows)`,
          );
        query.requestedLimit = Math.min(Number(value), Number.MAX_SAFE_INTEGER);
        query.limit = Math.min(MAX_PAGE_SIZE, query.requestedLimit);
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
        if (!RESOURCE_ID.test(value))
          throw invalidParameter(name, 'must be a UUID such as 8d1d0c3e-4a79-4a3c-9b8e-3f3c0f3b2a11');
        query[name] = value;
        break;
    }
  }
  return query;
}
