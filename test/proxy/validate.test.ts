import { describe, expect, it } from 'vitest';
import { RequestError } from '../../lib/core/errors';
import { toHttpError } from '../../lib/http/errors';
import { validateListQuery } from '../../lib/proxy/validate';

const UUID = '8d1d0c3e-4a79-4a3c-9b8e-3f3c0f3b2a11';

function refusal(params: Array<[string, string]>): { code: string; message: string } {
  try {
    validateListQuery(params);
  } catch (error) {
    expect(error).toBeInstanceOf(RequestError);
    const e = toHttpError(error);
    expect(e.statusCode).toBe(400);
    return { code: e.code, message: e.message };
  }
  throw new Error(`accepted ${JSON.stringify(params)}`);
}

describe('list query validation', () => {
  it.each([
    [[['limit', '1']], { limit: 1, requestedLimit: 1 }],
    [[['limit', '1000']], { limit: 1000, requestedLimit: 1000 }],
    // Above the EVS API's maximum, OpenStack clients expect a capped page, not a refusal.
    [[['limit', '1001']], { limit: 1000, requestedLimit: 1001 }],
    [[['limit', '1500']], { limit: 1000, requestedLimit: 1500 }],
    [[['offset', '0']], { offset: 0 }],
    [[['name', 'x'.repeat(255)]], { name: 'x'.repeat(255) }],
    [[['name', '快'.repeat(85)]], { name: '快'.repeat(85) }],
    [[['name', '']], { name: '' }],
    [[['status', 'backing-up']], { status: 'backing-up' }],
    [[['status', 'error_deleting']], { status: 'error_deleting' }],
    [
      [
        ['marker', UUID],
        ['volume_id', UUID.toUpperCase()],
      ],
      { marker: UUID, volume_id: UUID.toUpperCase() },
    ],
  ] as Array<[Array<[string, string]>, object]>)('accepts %j', (params, expected) => {
    expect(validateListQuery(params)).toEqual(expected);
  });

  it.each([
    [[['limit', '0']], 'limit', 'at least 1'],
    [[['limit', '-1']], 'limit', 'integer'],
    [[['limit', '1.5']], 'limit', 'integer'],
    [[['limit', 'ten']], 'limit', 'integer'],
    [[['limit', '']], 'limit', 'integer'],
    [[['offset', '-3']], 'offset', 'integer'],
    [[['offset', '1e3']], 'offset', 'integer'],
    [[['name', 'x'.repeat(256)]], 'name', '255 bytes'],
    [[['name', '快'.repeat(86)]], 'name', '255 bytes'],
    [[['status', 'AVAILABLE']], 'status', 'one of'],
    [[['status', 'available ']], 'status', 'one of'],
    [[['marker', '../../admin']], 'marker', 'UUID'],
    [[['volume_id', 'abc']], 'volume_id', 'UUID'],
  ] as Array<[Array<[string, string]>, string, string]>)(
    'refuses %j naming the parameter and the rule',
    (params, name, rule) => {
      const { code, message } = refusal(params);
      expect(code).toBe('INVALID_PARAMETER');
      expect(message).toContain(`"${name}"`);
      expect(message).toContain(rule);
    },
  );

  it.each(['all_tenants', 'project_id', 'sort', 'sort_key', 'with_count', 'metadata', 'LIMIT'])(
    'refuses the unknown parameter %s',
    (name) => {
      const { code, message } = refusal([[name, '1']]);
      expect(code).toBe('UNKNOWN_PARAMETER');
      expect(message).toContain(`"${name}"`);
    },
  );

  it('refuses a repeated parameter', () => {
    expect(
      refusal([
        ['status', 'available'],
        ['status', 'error'],
      ]).code,
    ).toBe('REPEATED_PARAMETER');
  });
});
