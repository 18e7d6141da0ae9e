import type { UpstreamAuthOptions, UpstreamOptions } from '../evs/factory';
import { ConfigError, type Env, httpUrl, integer, required, text } from './env';

function readAuth(env: Env): UpstreamAuthOptions {
  const mode = text(env, 'EVS_AUTH') ?? 'aksk';
  switch (mode) {
    case 'aksk':
      return {
        mode,
        ak: required(env, 'HUAWEICLOUD_SDK_AK', 'EVS_AUTH=aksk signs requests with an access key'),
        sk: required(env, 'HUAWEICLOUD_SDK_SK', 'EVS_AUTH=aksk signs requests with a secret key'),
        securityToken: text(env, 'HUAWEICLOUD_SDK_SECURITY_TOKEN'),
      };
    case 'token': {
      const token = text(env, 'EVS_TOKEN');
      if (token) return { mode: 'token', token };
      const why = 'EVS_AUTH=token needs EVS_TOKEN, or IAM password settings to fetch one';
      return {
        mode: 'iam',
        iamEndpoint: httpUrl(env, 'EVS_IAM_ENDPOINT', why),
        userName: required(env, 'EVS_IAM_USER', why),
        password: required(env, 'EVS_IAM_PASSWORD', why),
        domainName: required(env, 'EVS_IAM_DOMAIN', why),
      };
    }
    case 'noauth':
      return { mode, user: text(env, 'EVS_NOAUTH_USER') ?? 'admin' };
    default:
      throw new ConfigError(`EVS_AUTH must be aksk, token or noauth, got "${mode}"`);
  }
}

function regionOf(endpoint: string): string {
  const host = new URL(endpoint).hostname;
  const match = /^evs\.([a-z0-9-]+)\./.exec(host);
  return match?.[1] ?? 'unknown';
}

/** Settings for talking to EVS or Cinder, shared by the proxy and the scanner. */
export function loadUpstreamSettings(env: Env = process.env): UpstreamOptions {
  const endpoint = httpUrl(env, 'EVS_ENDPOINT', 'the EVS or Cinder endpoint to list snapshots from');
  return {
    endpoint,
    region: text(env, 'EVS_REGION') ?? regionOf(endpoint),
    auth: readAuth(env),
    timeoutMs: integer(env, 'EVS_TIMEOUT_MS', 10_000, 100, 120_000),
    maxBodyBytes: integer(env, 'EVS_MAX_BODY_BYTES', 10 * 1024 * 1024, 65_536, 64 * 1024 * 1024),
    retry: {
      maxAttempts: integer(env, 'EVS_MAX_ATTEMPTS', 3, 1, 10),
      baseDelayMs: integer(env, 'EVS_RETRY_BASE_MS', 100, 1, 60_000),
      maxDelayMs: integer(env, 'EVS_RETRY_MAX_MS', 2_000, 1, 60_000),
    },
  };
}
