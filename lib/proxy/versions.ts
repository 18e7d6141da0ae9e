/**
 * The proxy's own API version document, served at `/` as Cinder does (HTTP 300). Clients such
 * as python-cinderclient read it before anything else. The proxy speaks the base microversion
 * (3.0) of the list API at `/v2`, so that is all it announces, with links to itself.
 */
export function versionsDocument(origin: string): unknown {
  return {
    versions: [
      {
        id: 'v3.0',
        status: 'CURRENT',
        version: '3.0',
        min_version: '3.0',
        updated: '2026-12-01T00:00:00Z',
        links: [{ rel: 'self', href: `${origin}/v2/` }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
      },
    ],
  };
}
