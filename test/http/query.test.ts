import { describe, expect, it } from 'vitest';
import { toHttpError } from '../../lib/http/errors';
import { allowedProject, onlyKnownParams, validateProjectId } from '../../lib/http/query';

const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

function refusal(act: () => unknown): { status: number; code: string; message: string } {
  try {
    act();
  } catch (error) {
    const e = toHttpError(error);
    return { status: e.statusCode, code: e.code, message: e.message };
  }
  throw new Error('accepted');
}

describe('query and path checks shared by the APIs', () => {
  it.each(['..', '%2e%2e', 'a/b', 'x'.repeat(65), '', 'p id'])('refuses the project id %j', (id) => {
    expect(() => validateProjectId(id)).toThrow(/project_id/);
    expect(refusal(() => validateProjectId(id))).toMatchObject({ status: 400, code: 'INVALID_PARAMETER' });
  });

  it('accepts a Huawei project id', () => {
    expect(validateProjectId(PROJECT)).toBe(PROJECT);
  });

  it('refuses a project the allow-list does not name with 403 PROJECT_NOT_ALLOWED, and serves any with *', () => {
    expect(refusal(() => allowedProject(['f'.repeat(32)], PROJECT))).toEqual({
      status: 403,
      code: 'PROJECT_NOT_ALLOWED',
      message: `Project ${PROJECT} is not served by this proxy.`,
    });
    expect(allowedProject('*', PROJECT)).toBe(PROJECT);
  });

  it('refuses an unknown parameter and a repeated one with 400 and the parameter named', () => {
    expect(refusal(() => [...onlyKnownParams([['sort', 'x']], ['rule'])])).toEqual({
      status: 400,
      code: 'UNKNOWN_PARAMETER',
      message: 'Unknown parameter "sort": only rule are accepted.',
    });
    expect(
      refusal(() => [
        ...onlyKnownParams(
          [
            ['rule', 'a'],
            ['rule', 'b'],
          ],
          ['rule'],
        ),
      ]),
    ).toEqual({ status: 400, code: 'REPEATED_PARAMETER', message: 'Parameter "rule" is given more than once.' });
  });
});
