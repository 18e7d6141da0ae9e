import { ConfigError, type Env, flag, httpUrl, integer, required, text } from '../../config/env';
import { parseSecretRef } from '../../secrets/reader';
import type { UpstreamAuthOptions, UpstreamOptions } from '../../upstream/factory';

/** Credential values that may sit in the environment for local use only. */
export const PLAIN_CREDENTIAL_VARIABLES = [
  'HUAWEICLOUD_SDK_AK',
  'HUAWEICLOUD_SDK_SK',
  'HUAWEICLOUD_SDK_SECURITY_TOKEN',
  'EVS_TOKEN',
  'EVS_IAM_PASSWORD',
] as const;

/** Running as a deployed Lambda function (serverless-offline sets IS_OFFLINE). */
export function isDeployed(env: Env): boolean {
  return text(env, 'AWS_LAMBDA_FUNCTION_NAME') !== undefined && text(env, 'IS_OFFLINE') === undefined;
}

/**
 * Secrets in plain environment variables are for local use: anyone who can read a function's
 * configuration or its deployment bucket can read them. A deployed function refuses them
 * unless ALLOW_PLAIN_SECRETS=true says that was meant.
 */
export function refusePlainSecrets(env: Env, names: readonly string[], instead: string): void {
  const set = names.filter((name) => text(env, name) !== undefined);
  if (set.length > 0 && isDeployed(env) && !flag(env, 'ALLOW_PLAIN_SECRETS', false)) {
    throw new ConfigError(
      `${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set in a deployed function's environment: keep secrets in ${instead}, or set ALLOW_PLAIN_SECRETS=true to allow plain values`,
    );
  }
}

function iamAccount(env: Env) {
  const [iamEndpoint, userName, domainName] = [
    text(env, 'EVS_IAM_ENDPOINT'),
    text(env, 'EVS_IAM_USER'),
    text(env, 'EVS_IAM_DOMAIN'),
  ];
  if (!iamEndpoint && !userName && !domainName) return undefined;
  const why =
    'a password in EVS_CREDENTIALS_SECRET fetches tokens from IAM with EVS_IAM_ENDPOINT, EVS_IAM_USER and EVS_IAM_DOMAIN';
  return {
    iamEndpoint: httpUrl(env, 'EVS_IAM_ENDPOINT', why),
    userName: required(env, 'EVS_IAM_USER', why),
    domainName: required(env, 'EVS_IAM_DOMAIN', why),
  };
}

function readSecretAuth(env: Env, secret: string, mode: string): UpstreamAuthOptions {
  const plain = PLAIN_CREDENTIAL_VARIABLES.filter((name) => text(env, name) !== undefined);
  if (plain.length > 0)
    throw new ConfigError(
      `EVS_CREDENTIALS_SECRET and ${plain.join(', ')} are both set: credentials come from one place`,
    );
  if (mode !== 'aksk' && mode !== 'token')
    throw new ConfigError(
      `EVS_CREDENTIALS_SECRET holds credentials for EVS_AUTH=aksk or token, but EVS_AUTH is "${mode}"`,
    );
  return {
    mode: 'secret',
    auth: mode,
    secret: parseSecretRef(secret, 'EVS_CREDENTIALS_SECRET'),
    iam: mode === 'token' ? iamAccount(env) : undefined,
    maxAgeSeconds: integer(env, 'EVS_CREDENTIALS_MAX_AGE_SECONDS', 300, 0, 86_400),
  };
}

function readAuth(env: Env): UpstreamAuthOptions {
  const mode = text(env, 'EVS_AUTH') ?? 'aksk';
  const secret = text(env, 'EVS_CREDENTIALS_SECRET');
  if (secret !== undefined) return readSecretAuth(env, secret, mode);
  refusePlainSecrets(env, PLAIN_CREDENTIAL_VARIABLES, 'EVS_CREDENTIALS_SECRET (Secrets Manager or SSM)');
  switch (mode) {
    case 'aksk':
      return {
        mode,
        ak: required(
          env,
          'HUAWEICLOUD_SDK_AK',
          'EVS_AUTH=aksk signs requests with an access key: set EVS_CREDENTIALS_SECRET, or locally HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK',
        ),
        sk: required(
          env,
          'HUAWEICLOUD_SDK_SK',
          'EVS_AUTH=aksk signs requests with a secret key: set EVS_CREDENTIALS_SECRET, or locally HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK',
        ),
        securityToken: text(env, 'HUAWEICLOUD_SDK_SECURITY_TOKEN'),
      };
    case 'token': {
      const token = text(env, 'EVS_TOKEN');
      if (token) return { mode: 'token', token };
      const why =
        'EVS_AUTH=token needs EVS_CREDENTIALS_SECRET, or locally EVS_TOKEN, or IAM password settings to fetch one';
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
    ...loadUpstreamLimits(env),
  };
}

/** Timeouts, body cap and retries of upstream calls; every target shares them. */
export function loadUpstreamLimits(env: Env): Pick<UpstreamOptions, 'timeoutMs' | 'maxBodyBytes' | 'retry'> {
  return {
    timeoutMs: integer(env, 'EVS_TIMEOUT_MS', 10_000, 100, 120_000),
    maxBodyBytes: integer(env, 'EVS_MAX_BODY_BYTES', 10 * 1024 * 1024, 65_536, 64 * 1024 * 1024),
    retry: {
      maxAttempts: integer(env, 'EVS_MAX_ATTEMPTS', 3, 1, 10),
      baseDelayMs: integer(env, 'EVS_RETRY_BASE_MS', 100, 1, 60_000),
      maxDelayMs: integer(env, 'EVS_RETRY_MAX_MS', 2_000, 1, 60_000),
    },
  };
}
