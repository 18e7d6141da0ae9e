import { IamAuthError, UpstreamNetworkError, UpstreamTimeoutError } from './errors';
import { type AkSkCredentials, signRequest } from './signer';

export interface AuthRequest {
  method: string;
  url: string;
  projectId: string;
  /** The body of a write (metadata), signed with the request. */
  body?: string;
  /** Epoch ms by which the attempt this request belongs to must be over. */
  deadline?: number;
}

/** How a request to the upstream is authorised; one implementation per `EVS_AUTH` mode. */
export interface AuthStrategy {
  readonly mode: 'aksk' | 'token' | 'noauth';
  /** Headers that authorise this request. */
  headers(request: AuthRequest, now: Date): Promise<Record<string, string>>;
  /** Forget cached credentials after a 401; true when a fresh try makes sense. */
  invalidate?(projectId: string): boolean | Promise<boolean>;
  /** Every credential value this strategy holds, so an upstream that echoes one can be scrubbed. */
  secrets?(): string[];
}

/** Huawei AK/SK signing, with `X-Project-Id` signed too (none for account-wide calls such as project discovery). */
export function akskAuth(credentials: AkSkCredentials): AuthStrategy {
  return {
    mode: 'aksk',
    secrets: () => [credentials.sk, credentials.securityToken ?? ''],
    async headers(request, now) {
      const signed = signRequest(
        {
          method: request.method,
          url: request.url,
          headers: request.projectId ? { 'X-Project-Id': request.projectId } : {},
          ...(request.body !== undefined ? { body: request.body } : {}),
        },
        credentials,
        now,
      );
      // The transport sets Host from the URL; sending it again is redundant.
      delete signed.host;
      return signed;
    },
  };
}

/** What OpenStack Cinder's noauth middleware expects: `user:project`. */
export function noauthAuth(user = 'admin'): AuthStrategy {
  return {
    mode: 'noauth',
    async headers(request) {
      return { 'X-Auth-Token': `${user}:${request.projectId}` };
    },
  };
}

/** A fixed token from configuration. */
export function staticTokenAuth(token: string): AuthStrategy {
  return {
    mode: 'token',
    secrets: () => [token],
    async headers() {
      return { 'X-Auth-Token': token };
    },
  };
}

export interface IamPasswordOptions {
  /** e.g. https://iam.cn-north-4.myhuaweicloud.com */
  iamEndpoint: string;
  userName: string;
  password: string;
  domainName: string;
  fetch?: typeof fetch;
  /** Refresh this long before the token's own expiry. */
  refreshMarginMs?: number;
  timeoutMs?: number;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Keystone v3 password auth scoped to the project (to the domain for account-wide calls); tokens cached per scope until shortly before expiry. */
export function iamPasswordAuth(options: IamPasswordOptions): AuthStrategy {
  const doFetch = options.fetch ?? fetch;
  const margin = options.refreshMarginMs ?? 5 * 60_000;
  const cache = new Map<string, CachedToken>();
  const inFlight = new Map<string, Promise<CachedToken>>();

  async function issue(projectId: string, deadline: number | undefined): Promise<CachedToken> {
    const url = `${options.iamEndpoint.replace(/\/+$/, '')}/v3/auth/tokens`;
    const body = {
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: { name: options.userName, password: options.password, domain: { name: options.domainName } },
          },
        },
        // No project: an account-wide call (discovery), with a token scoped to the domain.
        scope: projectId ? { project: { id: projectId } } : { domain: { name: options.domainName } },
      },
    };
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json;charset=utf8' },
        body: JSON.stringify(body),
        // Never past the attempt's own deadline: a slow IAM must end as a timeout, not a crash.
        signal: AbortSignal.timeout(
          Math.max(1, Math.min(options.timeoutMs ?? 10_000, (deadline ?? Number.POSITIVE_INFINITY) - Date.now())),
        ),
      });
    } catch (error) {
      const name = (error as Error | undefined)?.name;
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new UpstreamTimeoutError(options.timeoutMs ?? 10_000, error);
      throw new UpstreamNetworkError(error);
    }
    const token = response.headers.get('x-subject-token');
    if (!response.ok || !token) {
      await response.body?.cancel();
      throw new IamAuthError(`IAM refused the token request with HTTP ${response.status}`, response.status);
    }
    const parsed = (await response.json().catch(() => ({}))) as { token?: { expires_at?: string } };
    const expiresAt = Date.parse(parsed.token?.expires_at ?? '') || Date.now() + 24 * 3_600_000;
    return { token, expiresAt };
  }

  return {
    mode: 'token',
    secrets: () => [options.password, ...[...cache.values()].map((c) => c.token)],
    async headers(request, now) {
      const cached = cache.get(request.projectId);
      if (cached && cached.expiresAt - margin > now.getTime()) return { 'X-Auth-Token': cached.token };
      let pending = inFlight.get(request.projectId);
      if (!pending) {
        pending = issue(request.projectId, request.deadline).finally(() => inFlight.delete(request.projectId));
        inFlight.set(request.projectId, pending);
      }
      const fresh = await pending;
      cache.set(request.projectId, fresh);
      return { 'X-Auth-Token': fresh.token };
    },
    invalidate(projectId) {
      return cache.delete(projectId);
    },
  };
}
