import document from './openapi.json';

/** The OpenAPI 3.1 document of everything the proxy serves, with this deployment as its server. */
export function openApiDocument(base: string): unknown {
  return { ...document, servers: [{ url: base || '/' }] };
}
