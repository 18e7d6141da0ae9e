import { describe, expect, it } from 'vitest';
import { ConfigError, RequestError } from '../../lib/core/errors';
import { readScanRequest } from '../../lib/scan/request';

describe('the on-demand scan request', () => {
  it("refuses a bad payload as the caller's mistake, not the configuration's, naming the field", () => {
    let refusal: unknown;
    try {
      readScanRequest({ projects: 'all' });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(RequestError);
    expect(refusal).not.toBeInstanceOf(ConfigError);
    expect(refusal).toMatchObject({
      code: 'INVALID_SCAN_REQUEST',
      fault: 'invalid',
      message: 'scan request: projects must be array',
    });
  });
});
