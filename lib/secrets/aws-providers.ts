/**
 * The AWS side of reading secrets: Powertools Parameters providers over the SDK's Secrets
 * Manager and SSM clients. Loaded with a dynamic import only when a secret is configured, and
 * packaged as a file of its own (deploy/esbuild-plugins.cjs), so a function without a
 * secret never compiles the SDK at cold start.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';

// A secret read must not eat a request's budget: short timeouts, the SDK's own three attempts.
const CLIENT_CONFIG = { maxAttempts: 3, requestHandler: { connectionTimeout: 2_000, requestTimeout: 4_000 } };

export interface ParameterProvider {
  get(name: string, options: object): Promise<unknown>;
}

export function createProvider(
  store: 'secretsmanager' | 'ssm',
  clients: { secretsManager?: SecretsManagerClient | undefined; ssm?: SSMClient | undefined },
): ParameterProvider {
  return store === 'ssm'
    ? new SSMProvider({ awsSdkV3Client: clients.ssm ?? new SSMClient(CLIENT_CONFIG) })
    : new SecretsProvider({ awsSdkV3Client: clients.secretsManager ?? new SecretsManagerClient(CLIENT_CONFIG) });
}
