/**
 * The proxy's own API version document, served at `/` as Cinder does (HTTP 300). Clients such
 * as python-cinderclient read it before anything else. The proxy speaks the base microversion
 * (3.0) of the list API at `/v3` and the same list at `/v2`, so that is all it announces, with
 * links to itself.
 */
export function versionsDocument(base: string): unknown {
  const mediaTypes = [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }];
  return {
    versions: [
      {
        id: 'v3.0',
        status: 'CURRENT',
        version: '3.0',
        min_version: '3.0',
        updated: '2026-12-01T00:00:00Z',
        links: [{ rel: 'self', href: `${base}/v3/` }],
        'media-types': mediaTypes,
      },
      // Cinder's own v2 entry carries no microversions; clients skip it when negotiating.
      {
        id: 'v2.0',
        status: 'SUPPORTED',
        version: '',
        min_version: '',
        updated: '2026-12-01T00:00:00Z',
        links: [{ rel: 'self', href: `${base}/v2/` }],
        'media-types': mediaTypes,
      },
    ],
  };
}
