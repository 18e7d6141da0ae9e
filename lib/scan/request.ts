import Ajv from 'ajv';
import { RequestError } from '../core/errors';
import schema from './request.schema.json';

/** What an on-demand invocation asks for (request.schema.json). */
export interface OnDemandRequest {
  targets?: string[];
  projects?: string[];
  dryRun?: boolean;
}

/** An invocation payload that is neither a schedule nor a valid on-demand request: the caller's mistake, not the configuration's. */
export class ScanRequestError extends RequestError {
  override name = 'ScanRequestError';
  constructor(message: string) {
    super('invalid', 'INVALID_SCAN_REQUEST', message);
  }
}

let validate: import('ajv').ValidateFunction | undefined;

/**
 * The scan an invocation asks for: a scheduled event (or nothing) is the full scan; anything
 * else must be an on-demand request, and an unknown field or a bad value is an error naming it.
 */
export function readScanRequest(event: unknown): OnDemandRequest {
  if (event === undefined || event === null) return {};
  const e = event as Record<string, unknown>;
  if (e.source === 'aws.events' || e['detail-type'] === 'Scheduled Event') return {};
  validate ??= new Ajv({ allErrors: false }).compile(schema);
  if (!validate(event)) {
    const error = validate.errors?.[0];
    const field = `${error?.instancePath.replaceAll('/', '.').replace(/^\./, '') || 'request'}`;
    const detail =
      error?.keyword === 'additionalProperties'
        ? `has the field "${String((error.params as { additionalProperty: string }).additionalProperty)}", which is not allowed (allowed: targets, projects, dryRun)`
        : (error?.message ?? 'is not valid');
    throw new ScanRequestError(`scan request: ${field} ${detail}`);
  }
  return event as OnDemandRequest;
}
