import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/settings/env';
import { loadProxySettings as loadProxyConfig } from '../lib/settings/proxy';
import { loadScanSettings as loadScanConfig } from '../lib/settings/scanner';
import { loadUpstreamSettings as loadUpstreamConfig } from '../lib/settings/upstream';

const base = { EVS_ENDPOINT: 'https://evs.cn-north-4.myhuaweicloud.com', HUAWEICLOUD_SDK_AK: 'AK', HUAWEICLOUD_SDK_SK: 'SK' };

describe('configuration', () => {
  it('reads AK/SK mode by default and the region from the endpoint', () => {
    expect(loadUpstreamConfig(base)).toMatchObject({ region: 'cn-north-4', auth: { mode: 'aksk', ak: 'AK', sk: 'SK' }, timeoutMs: 10_000 });
  });

  it.each([
    [{ EVS_ENDPOINT: undefined }, 'EVS_ENDPOINT is not set'],
    [{ EVS_ENDPOINT: 'ftp://x' }, 'EVS_ENDPOINT must be an http(s) URL'],
    [{ HUAWEICLOUD_SDK_SK: undefined }, 'HUAWEICLOUD_SDK_SK is not set'],
    [{ EVS_AUTH: 'magic' }, 'EVS_AUTH must be aksk, token or noauth, got "magic"'],
    [{ EVS_AUTH: 'token' }, 'EVS_IAM_ENDPOINT is not set: EVS_AUTH=token needs EVS_TOKEN'],
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
    expect(loadScanConfig({ ...base, ALLOWED_PROJECT_IDS: 'p1,p2' }).projects).toEqual(['p1', 'p2']);
    expect(() => loadScanConfig({ ...base, ALLOWED_PROJECT_IDS: '*' })).toThrow('SCAN_PROJECT_IDS is not set');
    expect(loadScanConfig({ ...base, ALLOWED_PROJECT_IDS: '*', SCAN_PROJECT_IDS: 'p3' }).projects).toEqual(['p3']);
  });

  it('overrides stuck thresholds per status and validates them', () => {
    const c = loadScanConfig({ ...base, SCAN_PROJECT_IDS: 'p', STUCK_AFTER_MINUTES: 'creating=30, backing-up=720' });
    expect(c.policy.stuckAfterMinutes).toMatchObject({ creating: 30, 'backing-up': 720, deleting: 60 });
    expect(() => loadScanConfig({ ...base, SCAN_PROJECT_IDS: 'p', STUCK_AFTER_MINUTES: 'creating=0' })).toThrow('minutes from 1 to 525600');
    expect(() => loadScanConfig({ ...base, SCAN_PROJECT_IDS: 'p', STALE_EXCLUDE_AUTOMATIC: 'maybe' })).toThrow('STALE_EXCLUDE_AUTOMATIC must be true or false');
    expect(() => loadScanConfig({ ...base, SCAN_PROJECT_IDS: 'p', EVENT_SOURCE: 'aws.evs' })).toThrow('must not start with "aws."');
  });
});
