import { type SecretFetch, type SecretRef, SecretUnavailableError } from '../secrets/reader';
import type { AuthRequest, AuthStrategy } from './auth';
import { IamAuthError } from './errors';

/** The IAM settings that are not secret: they stay in the environment, the password is in the secret. */
export interface IamAccount {
  iamEndpoint: string;
  userName: string;
  domainName: string;
}

/** What a credentials secret holds, by EVS_AUTH mode (a JSON object; the README shows each). */
export type SecretCredentials =
  | { kind: 'aksk'; ak: string; sk: string; securityToken: string | undefined }
  | { kind: 'token'; token: string }
  | { kind: 'iam'; password: string; account: IamAccount };

const FIELDS = { aksk: ['ak', 'sk', 'securityToken'], token: ['token', 'password'] } as const;

/**
 * Reads a credentials secret: `{"ak", "sk", "securityToken"?}` for aksk, `{"token"}` or
 * `{"password"}` (with the IAM account from the environment) for token. Errors name the field,
 * never a value: the text is a secret, so not even a JSON parser's excerpt of it is repeated.
 */
export function parseCredentialSecret(
  text: string,
  mode: 'aksk' | 'token',
  ref: SecretRef,
  iam: IamAccount | undefined,
): SecretCredentials {
  const fail = (why: string) => new SecretUnavailableError(`${ref.store} secret ${ref.id} ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw fail('is not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail('is not a JSON object');
  const record = parsed as Record<string, unknown>;
  const allowed: readonly string[] = FIELDS[mode];
  for (const [key, value] of Object.entries(record)) {
    if (!allowed.includes(key))
      throw fail(
        `has the field "${key.slice(0, 40)}", which EVS_AUTH=${mode} does not use (expected ${allowed.join(', ')})`,
      );
    if (typeof value !== 'string' || value.trim() === '') throw fail(`field "${key}" must be a non-empty string`);
  }
  const field = (key: string) => (record[key] as string | undefined)?.trim();
  if (mode === 'aksk') {
    const ak = field('ak');
    const sk = field('sk');
    if (!ak || !sk) throw fail(`must hold both "ak" and "sk" for EVS_AUTH=aksk`);
    return { kind: 'aksk', ak, sk, securityToken: field('securityToken') };
  }
  const token = field('token');
  const password = field('password');
  if (token && password) throw fail('holds both "token" and "password"; keep one');
  if (token) return { kind: 'token', token };
  if (!password) throw fail('must hold "token" or "password" for EVS_AUTH=token');
  if (!iam) throw fail('holds an IAM password, but EVS_IAM_ENDPOINT, EVS_IAM_USER and EVS_IAM_DOMAIN are not all set');
  return { kind: 'iam', password, account: iam };
}

export interface SecretAuthOptions {
  mode: 'aksk' | 'token';
  ref: SecretRef;
  fetchSecret: SecretFetch;
  /** Builds the strategy for what the secret currently holds; throws SecretUnavailableError when it is unusable. */
  build: (text: string) => AuthStrategy;
  /** How long to keep using the last good credentials when the secret cannot be read (ms). */
  staleOnErrorMs?: number;
  /** At most one forced re-read per this long, so a wrong key does not read the secret on every request (ms). */
  minRefetchMs?: number;
  now?: () => number;
}

/**
 * Credentials from a secret, read on first use and through the reader's cache after that. When
 * the upstream refuses them (a 401, or IAM refusing the password), the secret is read again,
 * bypassing the cache, at most once per `minRefetchMs`: if it changed (rotation), the request is
 * tried once more with the new value; if not, the refusal stands. When the secret store itself
 * fails, the last good credentials keep working for `staleOnErrorMs` rather than failing every
 * request during a Secrets Manager hiccup.
 */
export function secretAuth(options: SecretAuthOptions): AuthStrategy {
  const now = options.now ?? Date.now;
  const staleOnErrorMs = options.staleOnErrorMs ?? 60_000;
  const minRefetchMs = options.minRefetchMs ?? 30_000;
  let current: { text: string; strategy: AuthStrategy } | undefined;
  let pending: Promise<AuthStrategy> | undefined;
  let storeDownUntil = 0;
  let lastForced = Number.NEGATIVE_INFINITY;

  async function read(force: boolean): Promise<AuthStrategy> {
    try {
      const text = await options.fetchSecret(options.ref, { force });
      if (!current || current.text !== text) current = { text, strategy: options.build(text) };
      return current.strategy;
    } catch (error) {
      if (current && !force && error instanceof SecretUnavailableError && error.retryable) {
        storeDownUntil = now() + staleOnErrorMs;
        return current.strategy;
      }
      throw error;
    }
  }

  function strategy(force = false): Promise<AuthStrategy> {
    if (!force && current && now() < storeDownUntil) return Promise.resolve(current.strategy);
    if (pending) return pending;
    pending = read(force).finally(() => {
      pending = undefined;
    });
    return pending;
  }

  /** Re-reads the secret past the cache; true when it now holds something else. */
  async function rotated(): Promise<boolean> {
    if (now() - lastForced < minRefetchMs) return false;
    lastForced = now();
    const before = current?.text;
    try {
      await strategy(true);
    } catch {
      return false;
    }
    return current?.text !== before;
  }

  return {
    mode: options.mode,
    async headers(request: AuthRequest, at: Date) {
      const s = await strategy();
      try {
        return await s.headers(request, at);
      } catch (error) {
        if (error instanceof IamAuthError && error.status === 401 && (await rotated()))
          return (await strategy()).headers(request, at);
        throw error;
      }
    },
    async invalidate(projectId: string) {
      if (await current?.strategy.invalidate?.(projectId)) return true;
      return rotated();
    },
    secrets: () => current?.strategy.secrets?.() ?? [],
  };
}
