import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config/env';
import { stuckLimits } from '../../lib/policy/policy';
import { loadNotifierSettings } from '../../lib/wiring/settings/notifier';
import { loadProxySettings as loadProxyConfig } from '../../lib/wiring/settings/proxy';
import { loadScanSettings as loadScanConfig } from '../../lib/wiring/settings/scanner';
import { loadUpstreamSettings as loadUpstreamConfig } from '../../lib/wiring/settings/upstream';

const base = {
  EVS_ENDPOINT: 'https://evs.cn-north-4.myhuaweicloud.com',
  HUAWEICLOUD_SDK_AK: 'AK',
  HUAWEICLOUD_SDK_SK: 'SK',
};

describe('configuration', () => {
  it('reads AK/SK mode by default and the region from the endpoint', () => {
    expect(loadUpstreamConfig(base)).toMatchObject({
      region: 'cn-north-4',
      auth: { mode: 'aksk', ak: 'AK', sk: 'SK' },
      timeoutMs: 10_000,
    });
  });

  it.each([
    [{ EVS_ENDPOINT: undefined }, 'EVS_ENDPOINT is not set'],
    [{ EVS_ENDPOINT: 'ftp://x' }, 'EVS_ENDPOINT must be an http(s) URL'],
    [{ HUAWEICLOUD_SDK_SK: undefined }, 'HUAWEICLOUD_SDK_SK is not set'],
    [{ EVS_AUTH: 'magic' }, 'EVS_AUTH must be aksk, token or noauth, got "magic"'],
    [
      { EVS_AUTH: 'token' },
      'EVS_IAM_ENDPOINT is not set: EVS_AUTH=token needs EVS_CREDENTIALS_SECRET, or locally EVS_TOKEN',
    ],
    [{ EVS_TIMEOUT_MS: '5s' }, 'EVS_TIMEOUT_MS must be an integer from 100 to 120000, got "5s"'],
  ])('refuses %j with a message naming the variable', (change, message) => {
    expect(() => loadUpstreamConfig({ ...base, ...change })).toThrow(message);
  });

  it('requires ALLOWED_PROJECT_IDS for the proxy and accepts *', () => {
    expect(() => loadProxyConfig(base)).toThrow(ConfigError);
    expect(loadProxyConfig({ ...base, ALLOWED_PROJECT_IDS: '*' }).allowedProjects).toBe('*');
    expect(loadProxyConfig({ ...base, ALLOWED_PROJECT_IDS: ' a1 , b2 ' }).allowedProjects).toEqual(['a1', 'b2']);
    expect(() => loadProxyConfig({ ...base, ALLOWED_PROJECT_IDS: 'a/b' })).toThrow('ALLOWED_PROJECT_IDS holds "a/b"');
  });

  it('scans ALLOWED_PROJECT_IDS when SCAN_PROJECT_IDS is unset, but never "*"', () => {
    const projectsOf = (c: ReturnType<typeof loadScanConfig>) =>
      c.targets.kind === 'static' ? c.targets.targets.map((t) => [t.name, t.projects]) : [];
    expect(projectsOf(loadScanConfig({ ...base, ALLOWED_PROJECT_IDS: 'p1,p2' }))).toEqual([['default', ['p1', 'p2']]]);
    expect(() => loadScanConfig({ ...base, ALLOWED_PROJECT_IDS: '*' })).toThrow('SCAN_PROJECT_IDS is not set');
    expect(
      projectsOf(
        loadScanConfig({ ...base, ALLOWED_PROJECT_IDS: '*', SCAN_PROJECT_IDS: 'p3', SCAN_TARGET_NAME: 'eu-de' }),
      ),
    ).toEqual([['eu-de', ['p3']]]);
  });

  it('overrides stuck thresholds per status and validates them', () => {
    const c = loadScanConfig({ ...base, SCAN_PROJECT_IDS: 'p', STUCK_AFTER_MINUTES: 'creating=30, backing-up=720' });
    expect(stuckLimits(c.policy.document)).toMatchObject({ creating: 30, 'backing-up': 720, deleting: 60 });
    expect(() => loadScanConfig({ ...base, SCAN_PROJECT_IDS: 'p', STUCK_AFTER_MINUTES: 'creating=0' })).toThrow(
      'minutes from 1 to 525600',
    );
    expect(() => loadScanConfig({ ...base, SCAN_PROJECT_IDS: 'p', STALE_EXCLUDE_AUTOMATIC: 'maybe' })).toThrow(
      'STALE_EXCLUDE_AUTOMATIC must be true or false',
    );
    expect(() => loadScanConfig({ ...base, SCAN_PROJECT_IDS: 'p', EVENT_SOURCE: 'aws.evs' })).toThrow(
      'must not start with "aws."',
    );
  });
});

describe('secrets in the configuration', () => {
  const deployed = { AWS_LAMBDA_FUNCTION_NAME: 'evs-snapshot-sentinel-prod-listSnapshots' };
  const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:evs/prod-AbCdEf';

  it('refuses plain credentials in a deployed function, naming the variables and not their values', () => {
    for (const name of ['HUAWEICLOUD_SDK_SK', 'EVS_TOKEN', 'EVS_IAM_PASSWORD']) {
      const env = {
        EVS_ENDPOINT: base.EVS_ENDPOINT,
        EVS_AUTH: name === 'HUAWEICLOUD_SDK_SK' ? 'aksk' : 'token',
        [name]: 'value-FAKE-1234',
        ...deployed,
      };
      expect(() => loadUpstreamConfig(env)).toThrow(
        `${name} is set in a deployed function's environment: keep secrets in EVS_CREDENTIALS_SECRET`,
      );
      expect(() => loadUpstreamConfig(env)).not.toThrow(/value-FAKE/);
    }
  });

  it('accepts plain credentials locally, under serverless-offline, or when ALLOW_PLAIN_SECRETS=true', () => {
    expect(loadUpstreamConfig({ ...base, ...deployed, IS_OFFLINE: 'true' }).auth.mode).toBe('aksk');
    expect(loadUpstreamConfig({ ...base, ...deployed, ALLOW_PLAIN_SECRETS: 'true' }).auth.mode).toBe('aksk');
    expect(loadUpstreamConfig(base).auth.mode).toBe('aksk');
  });

  it('reads a secret reference: a Secrets Manager ARN or name, an SSM ARN or ssm:/name', () => {
    const auth = (value: string, extra = {}) =>
      loadUpstreamConfig({ EVS_ENDPOINT: base.EVS_ENDPOINT, EVS_CREDENTIALS_SECRET: value, ...deployed, ...extra })
        .auth;
    expect(auth(secretArn)).toEqual({
      mode: 'secret',
      auth: 'aksk',
      secret: { store: 'secretsmanager', id: secretArn },
      iam: undefined,
      maxAgeSeconds: 300,
    });
    expect(auth('evs/prod')).toMatchObject({ secret: { store: 'secretsmanager', id: 'evs/prod' } });
    expect(auth('ssm:/evs/prod', { EVS_CREDENTIALS_MAX_AGE_SECONDS: '60' })).toMatchObject({
      secret: { store: 'ssm', id: '/evs/prod' },
      maxAgeSeconds: 60,
    });
    expect(auth('arn:aws:ssm:eu-west-1:123456789012:parameter/evs/prod')).toMatchObject({
      secret: { store: 'ssm', id: 'arn:aws:ssm:eu-west-1:123456789012:parameter/evs/prod' },
    });
    expect(
      auth(secretArn, {
        EVS_AUTH: 'token',
        EVS_IAM_ENDPOINT: 'https://iam.example',
        EVS_IAM_USER: 'u',
        EVS_IAM_DOMAIN: 'd',
      }),
    ).toMatchObject({ auth: 'token', iam: { iamEndpoint: 'https://iam.example', userName: 'u', domainName: 'd' } });
  });

  it.each([
    [
      { EVS_CREDENTIALS_SECRET: secretArn, HUAWEICLOUD_SDK_SK: 'SK' },
      'EVS_CREDENTIALS_SECRET and HUAWEICLOUD_SDK_SK are both set',
    ],
    [{ EVS_CREDENTIALS_SECRET: secretArn, EVS_AUTH: 'noauth' }, 'but EVS_AUTH is "noauth"'],
    [
      { EVS_CREDENTIALS_SECRET: 'arn:aws:s3:::bucket/key' },
      'is an ARN, but not of a Secrets Manager secret or an SSM parameter',
    ],
    [{ EVS_CREDENTIALS_SECRET: 'ssm:' }, 'must name an SSM parameter'],
    [{ EVS_CREDENTIALS_SECRET: 'has spaces' }, 'must be a Secrets Manager secret name or ARN'],
    [{ EVS_CREDENTIALS_SECRET: secretArn, EVS_AUTH: 'token', EVS_IAM_USER: 'u' }, 'EVS_IAM_ENDPOINT is not set'],
  ])('refuses %j', (env, message) => {
    expect(() => loadUpstreamConfig({ EVS_ENDPOINT: base.EVS_ENDPOINT, ...env })).toThrow(message);
  });

  it('keeps the alert webhook URL in a secret when deployed, and never repeats a URL it refuses', () => {
    const destinations = (env: Record<string, string>) => loadNotifierSettings(env).routes.routes[0]?.destinations;
    expect(destinations({ ALERT_WEBHOOK_SECRET: 'ssm:/alerts/webhook' })).toEqual([
      { kind: 'webhook', name: 'webhook', address: { secret: { store: 'ssm', id: '/alerts/webhook' } } },
    ]);
    expect(() => loadNotifierSettings({ ALERT_WEBHOOK_URL: 'https://hooks.example/T0/B0/FAKE', ...deployed })).toThrow(
      "ALERT_WEBHOOK_URL is set in a deployed function's environment",
    );
    expect(
      destinations({ ALERT_WEBHOOK_URL: 'https://hooks.example/T0/B0/FAKE', ALERT_WEBHOOK_KIND: 'slack' }),
    ).toEqual([{ kind: 'slack', name: 'webhook', address: { url: 'https://hooks.example/T0/B0/FAKE' } }]);
    expect(() => loadNotifierSettings({ ALERT_WEBHOOK_URL: 'hooks.example/FAKE-path' })).toThrow(
      /^ALERT_WEBHOOK_URL must be an http\(s\) URL$/,
    );
  });
});
