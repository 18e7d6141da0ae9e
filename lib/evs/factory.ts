import type { RetryOptions } from '../retry';
import { type AuthStrategy, akskAuth, iamPasswordAuth, noauthAuth, staticTokenAuth } from './auth';
import { createEvsClient, type SnapshotLister, type SnapshotTextLister } from './client';
import { nodeHttpTransport } from './transport';

export type UpstreamAuthOptions =
  | { mode: 'aksk'; ak: string; sk: string; securityToken: string | undefined }
  | { mode: 'token'; token: string }
  | { mode: 'iam'; iamEndpoint: string; userName: string; password: string; domainName: string }
  | { mode: 'noauth'; user: string };

/** Everything needed to build an upstream client; settings modules produce it. */
export interface UpstreamOptions {
  endpoint: string;
  /** Cloud region reported in events; from EVS_REGION or the endpoint's host name. */
  region: string;
  auth: UpstreamAuthOptions;
  timeoutMs: number;
  maxBodyBytes: number;
  retry: RetryOptions;
}

/** The auth strategy the options ask for. */
export function createAuth(auth: UpstreamAuthOptions, fetchImpl?: typeof fetch): AuthStrategy {
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

/** The production upstream client; `fetchImpl` is what IAM token requests use. */
export function createUpstreamClient(options: UpstreamOptions, fetchImpl?: typeof fetch): SnapshotLister & SnapshotTextLister {
  return createEvsClient({
    endpoint: options.endpoint,
    auth: createAuth(options.auth, fetchImpl),
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    transport: nodeHttpTransport({ maxBodyBytes: options.maxBodyBytes }),
  });
}
