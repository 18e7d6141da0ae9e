import { createServer } from 'node:http';
import { listenOnLoopback } from './loopback';

export interface LocalSecretsOptions {
  port?: number;
  /** Fail a call instead of answering it (e.g. throttling), by call number from 1. */
  failCall?: (callNumber: number, target: string) => { status: number; type: string; message: string } | undefined;
}

const ACCOUNT = '000000000000';
const REGION = 'eu-west-1';

/**
 * A loopback endpoint speaking the two AWS JSON 1.1 calls the functions make for their
 * secrets: Secrets Manager `GetSecretValue` and SSM `GetParameter` (SecureString, decrypted).
 * The real SDK clients reach it through AWS_ENDPOINT_URL_SECRETS_MANAGER and
 * AWS_ENDPOINT_URL_SSM. Values can be changed while it runs (rotation), and every call is
 * counted, so tests can see what was cached.
 */
export async function startLocalSecrets(options: LocalSecretsOptions = {}) {
  const secrets = new Map<string, { value: string; version: number }>();
  const parameters = new Map<string, { value: string; version: number }>();
  const calls: Array<{ target: string; id: string }> = [];

  const secretArn = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
  const parameterArn = (name: string) =>
    `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  const secretName = (id: string) =>
    /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(id)?.[1] ?? id;
  const parameterName = (id: string) => {
    const m = /^arn:[^:]+:ssm:[^:]*:[^:]*:parameter(\/.+)$/.exec(id);
    if (!m) return id;
    // An ARN of a name without a leading slash reads `parameter/name`.
    return parameters.has(m[1] as string) ? (m[1] as string) : (m[1] as string).slice(1);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const send = (status: number, body: unknown, type?: string) => {
        res.writeHead(status, {
          'Content-Type': 'application/x-amz-json-1.1',
          ...(type ? { 'x-amzn-ErrorType': type } : {}),
        });
        res.end(JSON.stringify(body));
      };
      // AWS JSON protocol errors name their type twice: in the body and in a header.
      const fail = (status: number, type: string, message: string) => send(status, { __type: type, message }, type);
      let input: { SecretId?: string; Name?: string; WithDecryption?: boolean };
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        return fail(400, 'SerializationException', 'body is not JSON');
      }
      calls.push({ target, id: input.SecretId ?? input.Name ?? '' });
      const failure = options.failCall?.(calls.length, target);
      if (failure) return fail(failure.status, failure.type, failure.message);
      if (target === 'secretsmanager.GetSecretValue') {
        const name = secretName(input.SecretId ?? '');
        const secret = secrets.get(name);
        if (!secret) return fail(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        send(200, {
          ARN: secretArn(name),
          Name: name,
          SecretString: secret.value,
          VersionId: `v${secret.version}`,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Date.now() / 1000,
        });
        return;
      }
      if (target === 'AmazonSSM.GetParameter') {
        const name = parameterName(input.Name ?? '');
        const parameter = parameters.get(name);
        if (!parameter) return fail(400, 'ParameterNotFound', '');
        const value = input.WithDecryption ? parameter.value : Buffer.from(parameter.value).toString('base64');
        send(200, {
          Parameter: {
            Name: name,
            Type: 'SecureString',
            Value: value,
            Version: parameter.version,
            ARN: parameterArn(name),
            DataType: 'text',
          },
        });
        return;
      }
      fail(400, 'UnknownOperationException', `unsupported target ${target}`);
    });
  });

  const listening = await listenOnLoopback(server, options.port);
  return {
    ...listening,
    calls,
    /** Creates or rotates a Secrets Manager secret; returns its ARN. */
    putSecret(name: string, value: string): string {
      secrets.set(name, { value, version: (secrets.get(name)?.version ?? 0) + 1 });
      return secretArn(name);
    },
    /** Creates or rotates an SSM SecureString parameter; returns its ARN. */
    putParameter(name: string, value: string): string {
      parameters.set(name, { value, version: (parameters.get(name)?.version ?? 0) + 1 });
      return parameterArn(name);
    },
    countCalls: (id?: string) => calls.filter((c) => id === undefined || c.id === id).length,
  };
}

export type LocalSecrets = Awaited<ReturnType<typeof startLocalSecrets>>;
