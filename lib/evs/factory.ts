import type { UpstreamAuthConfig, UpstreamConfig } from '../config';
import { type AuthStrategy, akskAuth, iamPasswordAuth, noauthAuth, staticTokenAuth } from './auth';
import { createEvsClient, type SnapshotLister } from './client';

/** The auth strategy a validated configuration asks for. */
export function createAuth(auth: UpstreamAuthConfig, fetchImpl?: typeof fetch): AuthStrategy {
  switch (auth.mode) {
    case 'aksk':
      return akskAuth({ ak: auth.ak, sk: auth.sk, securityToken: auth.securityToken });
    case 'token':
      return staticTokenAuth(auth.token);
    case 'iam':
      return iamPasswordAuth({ ...auth, fetch: fetchImpl });
    case 'noauth':
      return noauthAuth(auth.user);
  }
}

/** The production upstream client for a configuration; `fetchImpl` is what IAM token requests use. */
export function createListerFromConfig(config: UpstreamConfig, fetchImpl?: typeof fetch): SnapshotLister {
  return createEvsClient({
    endpoint: config.endpoint,
    auth: createAuth(config.auth, fetchImpl),
    timeoutMs: config.timeoutMs,
    retry: config.retry,
  });
}
