import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import document from '../../lib/proxy/openapi.json';

type Operation = { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components: unknown;
  'x-error-codes': Record<string, number>;
};
const doc = document as unknown as Doc;

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const rebased = JSON.parse(
  JSON.stringify({ components: doc.components }).replaceAll('"#/components/', '"openapi.json#/components/'),
);
ajv.addSchema({ $id: 'openapi.json', ...rebased });

const compiled = new Map<string, ReturnType<typeof ajv.compile>>();

/** The documented path template a request path belongs to. */
export function templateOf(path: string): string | undefined {
  const clean = path.replace(/^\/(prod|dev|ci|local)(?=\/)/, '').replace(/\/$/, '') || '/';
  if (clean === '/' || clean === '/openapi.json') return clean;
  if (/^\/v2\/[^/]+\/findings$/.test(clean)) return '/v2/{project_id}/findings';
  if (/^\/v2\/[^/]+\/findings\/[^/]+\/suppression$/.test(clean))
    return '/v2/{project_id}/findings/{finding_id}/suppression';
  if (/^\/v2\/[^/]+\/findings\/approval$/.test(clean)) return '/v2/{project_id}/findings/approval';
  if (/^\/v2\/[^/]+\/findings\/[^/]+\/approval$/.test(clean)) return '/v2/{project_id}/findings/{finding_id}/approval';
  const m = /^\/(v[23])\/[^/]+\/snapshots(\/detail)?$/.exec(clean);
  return m ? `/${m[1]}/{project_id}/snapshots${m[2] ?? ''}` : undefined;
}

/** Every error code the document promises, with its status. */
export const DOCUMENTED_ERROR_CODES = doc['x-error-codes'];

/** Codes the proxy itself answered with during this test file (upstream codes passed on are not ours). */
export const producedCodes = new Set<string>();

/** Problems with one answer against the OpenAPI document; empty when it conforms. */
export function openApiErrors(path: string, response: { statusCode: number; body: string }, method = 'GET'): string[] {
  const template = templateOf(path);
  if (!template) return [`no documented path for ${path}`];
  const operation = doc.paths[template]?.[method.toLowerCase()];
  if (!operation) return [`${template} documents no ${method}`];
  const documented = operation.responses[String(response.statusCode)];
  if (!documented) return [`${method} ${template} documents no ${response.statusCode} answer`];
  const schema = documented.content?.['application/json']?.schema;
  if (!schema) return [];
  const key = `${method} ${template} ${response.statusCode}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(
      JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/')),
    );
    compiled.set(key, validate);
  }
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return ['body is not JSON'];
  }
  if (response.statusCode >= 400) {
    const fault = Object.values(body as Record<string, { code?: string }>)[0];
    if (fault?.code && DOCUMENTED_ERROR_CODES[fault.code] !== undefined) producedCodes.add(fault.code);
  }
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
