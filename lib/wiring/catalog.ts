import { catalogOf, type TargetCatalog } from '../scan/plan';
import { createSecretFetch, type SecretFetch } from '../secrets/reader';
import type { TargetsSource } from '../targets/load';
import { type AuthIo, createUpstreamClient, type UpstreamAuthOptions } from '../upstream/factory';

export interface CatalogOverrides extends AuthIo {
  /** Reads the targets parameter; default: the secret reader, else Secrets Manager/SSM cached 5 minutes. */
  fetchParameter?: SecretFetch;
  /** The remediation function's credentials, used for every target instead of its own. */
  auth?: UpstreamAuthOptions;
}

/**
 * The production catalog of a configuration's targets: an EVS/Cinder client per target (with the
 * remediation credentials when given), the targets parameter read through Secrets Manager or SSM.
 */
export function createTargetCatalog(source: TargetsSource, io: CatalogOverrides = {}): TargetCatalog {
  return catalogOf(source, {
    createClient: (target) =>
      createUpstreamClient(io.auth ? { ...target.upstream, auth: io.auth } : target.upstream, io),
    ...(source.kind === 'parameter'
      ? { readParameter: io.fetchParameter ?? io.fetchSecret ?? createSecretFetch({ maxAgeSeconds: 300 }) }
      : {}),
  });
}

/** The catalog given, else the production one over these targets (`fetchSecret` also reads the targets parameter). */
export function catalogFor(
  source: TargetsSource,
  overrides: { catalog?: TargetCatalog; fetch?: typeof fetch; fetchSecret?: SecretFetch },
): TargetCatalog {
  return (
    overrides.catalog ??
    createTargetCatalog(source, {
      fetch: overrides.fetch,
      fetchSecret: overrides.fetchSecret,
      fetchParameter: overrides.fetchSecret,
    })
  );
}
