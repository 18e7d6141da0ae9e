import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatSdkDate, signRequest } from '../../lib/upstream/signer';

// The official signer is the oracle; it is a devDependency only.
const require = createRequire(import.meta.url);
const { AKSKSigner } = require('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner') as {
  AKSKSigner: { sign(request: unknown, credential: unknown): Record<string, string> };
};

function signWithOracle(
  url: URL,
  headers: Record<string, string>,
  ak: string,
  sk: string,
  now: Date,
): Record<string, string> {
  const queryParams: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const existing = queryParams[key];
    if (existing === undefined) queryParams[key] = value;
    else queryParams[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  vi.useFakeTimers({ now, toFake: ['Date'] });
  try {
    return AKSKSigner.sign(
      {
        method: 'GET',
        endpoint: `${url.origin}${url.pathname}`,
        headers: { ...headers },
        queryParams,
      },
      { getAk: () => ak, getSk: () => sk },
    );
  } finally {
    vi.useRealTimers();
  }
}

const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/);
const queryText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('', ' ', 'a b', 'x=y&z', "/?#[]@!$&'()*+,;=%", '测试快照', 'ü', '😀', '+', '~'),
);
const requestArb = fc.record({
  path: fc.array(segment, { minLength: 1, maxLength: 5 }),
  trailingSlash: fc.boolean(),
  port: fc.option(fc.integer({ min: 1024, max: 65535 }), { nil: undefined }),
  query: fc.array(
    fc.tuple(fc.constantFrom('marker', 'limit', 'name', 'status', 'volume_id', 'a', 'B', 'é', 'x y'), queryText),
    {
      maxLength: 8,
    },
  ),
  projectId: fc.stringMatching(/^[0-9a-f]{32}$/),
  ak: fc.stringMatching(/^[A-Z0-9]{20}$/),
  sk: fc.string({ minLength: 1, maxLength: 40 }),
  epochSeconds: fc.integer({ min: 946_684_800, max: 4_102_444_799 }),
});

describe('AK/SK signer', () => {
  afterEach(() => vi.useRealTimers());

  it('formats X-Sdk-Date as YYYYMMDDTHHMMSSZ in UTC', () => {
    expect(formatSdkDate(new Date('2019-11-15T03:36:55.123Z'))).toBe('20191115T033655Z');
  });

  it('produces the same headers, byte for byte, as the official AKSKSigner over generated requests', () => {
    fc.assert(
      fc.property(requestArb, (r) => {
        const search = new URLSearchParams();
        for (const [key, value] of r.query) search.append(key, value);
        const qs = search.toString();
        const host = `evs.cn-north-4.example.com${r.port ? `:${r.port}` : ''}`;
        const url = new URL(`https://${host}/${r.path.join('/')}${r.trailingSlash ? '/' : ''}${qs ? `?${qs}` : ''}`);
        const now = new Date(r.epochSeconds * 1000);
        const headers = { 'X-Project-Id': r.projectId };

        const ours = signRequest({ method: 'GET', url: url.href, headers }, { ak: r.ak, sk: r.sk }, now);
        const oracle = signWithOracle(url, headers, r.ak, r.sk, now);

        expect(ours.Authorization).toBe(oracle.Authorization);
        expect(ours['X-Sdk-Date']).toBe(oracle['X-Sdk-Date']);
        expect(ours.host).toBe(oracle.host);
      }),
      { numRuns: 500 },
    );
  });

  it('signs the security token of temporary credentials', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const url = new URL('https://evs.example.com/v2/0123456789abcdef0123456789abcdef/snapshots?limit=10');
    const headers = { 'X-Project-Id': '0123456789abcdef0123456789abcdef' };
    const ours = signRequest(
      { method: 'GET', url: url.href, headers },
      { ak: 'AK', sk: 'SK', securityToken: 'tok' },
      now,
    );
    const oracle = signWithOracle(url, { ...headers, 'X-Security-Token': 'tok' }, 'AK', 'SK', now);
    expect(ours.Authorization).toContain('SignedHeaders=host;x-project-id;x-sdk-date;x-security-token');
    expect(ours.Authorization).toBe(oracle.Authorization);
  });

  it('changes the signature when any signed part changes', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const base = { method: 'GET', url: 'https://h.example/v2/p/snapshots?limit=1' };
    const sig = (req: typeof base, sk = 'SK', at = now) => signRequest(req, { ak: 'AK', sk }, at).Authorization;
    const reference = sig(base);
    expect(sig({ ...base, url: 'https://h.example/v2/p/snapshots?limit=2' })).not.toBe(reference);
    expect(sig({ ...base, url: 'https://h.example/v2/q/snapshots?limit=1' })).not.toBe(reference);
    expect(sig(base, 'SK2')).not.toBe(reference);
    expect(sig(base, 'SK', new Date(now.getTime() + 1000))).not.toBe(reference);
  });
});
