import { ConfigError, type Env, optionalHttpUrl, projectList, text } from '../../config/env';
import type { UpstreamOptions } from '../../upstream/factory';
import { loadUpstreamSettings } from './upstream';

export interface ProxySettings {
  upstream: UpstreamOptions;
  allowedProjects: readonly string[] | '*';
  /** Base of the links the proxy hands out, e.g. `https://api.example.com/prod`; else API Gateway's own domain. */
  publicBaseUrl: string | undefined;
}

/** Settings of the list proxy. */
export function loadProxySettings(env: Env = process.env): ProxySettings {
  if (text(env, 'ALLOWED_PROJECT_IDS') === undefined) {
    throw new ConfigError(
      'ALLOWED_PROJECT_IDS is not set: list the project ids callers may read, comma separated, or * for all',
    );
  }
  return {
    upstream: loadUpstreamSettings(env),
    allowedProjects: projectList(env, 'ALLOWED_PROJECT_IDS', true),
    publicBaseUrl: optionalHttpUrl(env, 'PROXY_PUBLIC_URL', 'the public base URL of the proxy'),
  };
}
