import type { RetryOptions } from '../core/retry';
import { createSecretFetch, type SecretFetch, type SecretRef } from '../secrets/reader';
import { type AuthStrategy, akskAuth, iamPasswordAuth, noauthAuth, staticTokenAuth } from './auth';
import {
  createEvsClient,
  type ProjectDiscoverer,
  type SnapshotLister,
  type SnapshotRemediator,
  type SnapshotTextLister,
  type VolumeLister,
} from './client';
import { type IamAccount, parseCredentialSecret, secretAuth } from './secret-auth';
import { nodeHttpTransport } from './transport';

export type UpstreamAuthOptions =
  | { mode: 'aksk'; ak: string; sk: string; securityToken: string | undefined }
  | { mode: 'token'; token: string }
  | { mode: 'iam'; iamEndpoint: string; userName: string; password: string; domainName: string }
  | { mode: 'noauth'; user: string }
  /** Credentials read from Secrets Manager or SSM (EVS_CREDENTIALS_SECRET), for `auth` aksk or token. */
  | { mode: 'secret'; auth: 'aksk' | 'token'; secret: SecretRef; iam: IamAccount | undefined; maxAgeSeconds: number };

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

/** How the functions reach their secrets; tests point it at a local endpoint. */
export interface AuthIo {
  /** Used for IAM token requests. */
  fetch?: typeof fetch;
  /** Reads EVS_CREDENTIALS_SECRET; defaults to Powertools Parameters with the SDK's clients. */
  fetchSecret?: SecretFetch;
}

/** The auth strategy the options ask for. */
export function createAuth(auth: UpstreamAuthOptions, io: AuthIo = {}): AuthStrategy {
  const fetchImpl = io.fetch;
  switch (auth.mode) {
    case 'aksk':
      return akskAuth({ ak: auth.ak, sk: auth.sk, securityToken: auth.securityToken });
    case 'token':
      return staticTokenAuth(auth.token);
    case 'iam':
      return iamPasswordAuth({ ...auth, fetch: fetchImpl });
    case 'noauth':
      return noauthAuth(auth.user);
    case 'secret':
      return secretAuth({
        mode: auth.auth,
        ref: auth.secret,
        fetchSecret: io.fetchSecret ?? createSecretFetch({ maxAgeSeconds: auth.maxAgeSeconds }),
        build: (text) => {
          const c = parseCredentialSecret(text, auth.auth, auth.secret, auth.iam);
          if (c.kind === 'aksk') return akskAuth({ ak: c.ak, sk: c.sk, securityToken: c.securityToken });
          if (c.kind === 'token') return staticTokenAuth(c.token);
          return iamPasswordAuth({ ...c.account, password: c.password, fetch: fetchImpl });
        },
      });
  }
}

/** The production upstream client. */
export function createUpstreamClient(
  options: UpstreamOptions,
  io: AuthIo = {},
): SnapshotLister & SnapshotTextLister & ProjectDiscoverer & VolumeLister & SnapshotRemediator {
  return createEvsClient({
    endpoint: options.endpoint,
    auth: createAuth(options.auth, io),
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    transport: nodeHttpTransport({ maxBodyBytes: options.maxBodyBytes }),
  });
}
