import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { DETAIL_TYPES } from '../../lib/events/contract';

const dir = fileURLToPath(new URL('../../events/schemas/', import.meta.url));
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
addFormats(ajv);

const validators = {
  [DETAIL_TYPES.finding]: ajv.compile(JSON.parse(readFileSync(`${dir}finding.schema.json`, 'utf8'))),
  [DETAIL_TYPES.summary]: ajv.compile(JSON.parse(readFileSync(`${dir}scan-summary.schema.json`, 'utf8'))),
  [DETAIL_TYPES.failed]: ajv.compile(JSON.parse(readFileSync(`${dir}scan-failed.schema.json`, 'utf8'))),
  [DETAIL_TYPES.cleanup]: ajv.compile(JSON.parse(readFileSync(`${dir}cleanup.schema.json`, 'utf8'))),
} as Record<string, ReturnType<typeof ajv.compile>>;

/** Validates a detail against the committed schema of its detail-type; returns the errors, empty when valid. */
export function schemaErrors(detailType: string, detail: unknown): string[] {
  const validate = validators[detailType];
  if (!validate) return [`no schema for detail-type ${detailType}`];
  return validate(detail) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
