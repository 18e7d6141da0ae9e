import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../core/errors';
import { FailureError } from '../domain/failure';
import type { ParameterProvider } from './aws-providers';

/** Where a secret lives: a Secrets Manager secret (name or ARN) or an SSM SecureString (name or ARN). */
export interface SecretRef {
  store: 'secretsmanager' | 'ssm';
  /** The id the store's API takes: a secret name or ARN, a parameter name or ARN. */
  id: string;
}

const ARN = /^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:\d{12}:(?:secret:.+|parameter\/.+)$/;

/**
 * Reads a secret reference from a setting: `arn:...:secretsmanager:...:secret:NAME-abc123`,
 * `arn:...:ssm:...:parameter/NAME`, `ssm:/NAME` for a parameter by name, or a bare Secrets
 * Manager secret name.
 */
export function parseSecretRef(value: string, variable: string): SecretRef {
  if (value.startsWith('ssm:')) {
    const name = value.slice(4);
    if (!/^[A-Za-z0-9/_.-]{1,2048}$/.test(name))
      throw new ConfigError(`${variable} must name an SSM parameter after "ssm:", e.g. ssm:/evs/credentials`);
    return { store: 'ssm', id: name };
  }
  if (value.startsWith('arn:')) {
    const m = ARN.exec(value);
    if (!m) throw new ConfigError(`${variable} is an ARN, but not of a Secrets Manager secret or an SSM parameter`);
    return { store: m[1] as SecretRef['store'], id: value };
  }
  if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(value))
    throw new ConfigError(`${variable} must be a Secrets Manager secret name or ARN, or ssm:/parameter-name`);
  return { store: 'secretsmanager', id: value };
}

/** A secret could not be read, or what it holds is not usable. Never carries the secret's value. */
export class SecretUnavailableError extends FailureError {
  override name = 'SecretUnavailableError';
  readonly code = 'CREDENTIALS_UNAVAILABLE' as const;
}

/** Reads a secret's text; `force` skips the cache (after the upstream refused what it held). */
export type SecretFetch = (ref: SecretRef, options?: { force?: boolean }) => Promise<string>;

export interface SecretFetchOptions {
  /** How long a value is reused before it is read again (rotation without a refusal). */
  maxAgeSeconds: number;
  /** Clients to use; by default the SDK's, whose endpoints AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_SSM override. */
  secretsManager?: SecretsManagerClient;
  ssm?: SSMClient;
}

/**
 * Secrets through Powertools Parameters (its cache, its decryption and binary handling). The
 * providers and their SDK clients are loaded on first use, so functions without a secret never
 * pay for them.
 */
export function createSecretFetch(options: SecretFetchOptions): SecretFetch {
  const providers = new Map<SecretRef['store'], Promise<ParameterProvider>>();
  const provider = (store: SecretRef['store']): Promise<ParameterProvider> => {
    let p = providers.get(store);
    if (!p) {
      // The bundles keep this import as a file of its own: deploy/esbuild-plugins.cjs.
      p = import('./aws-providers').then((m) => m.createProvider(store, options));
      providers.set(store, p);
    }
    return p;
  };

  return async (ref, fetchOptions = {}) => {
    let value: unknown;
    try {
      const p = await provider(ref.store);
      value = await p.get(ref.id, {
        maxAge: options.maxAgeSeconds,
        forceFetch: fetchOptions.force ?? false,
        ...(ref.store === 'ssm' ? { decrypt: true } : {}),
      });
    } catch (error) {
      // The SDK's error name (AccessDeniedException, ResourceNotFoundException, ...) says enough; its message may not be ours to print.
      const cause = (error as { cause?: { name?: string } }).cause;
      throw new SecretUnavailableError(
        `could not read ${ref.store} secret ${ref.id}: ${cause?.name ?? (error as Error).name}`,
        { cause: error, retryable: true },
      );
    }
    if (typeof value === 'string' && value.length > 0) return value;
    if (value instanceof Uint8Array && value.byteLength > 0) return Buffer.from(value).toString('utf8');
    throw new SecretUnavailableError(`${ref.store} secret ${ref.id} is empty`);
  };
}
