import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AkSkCredentials, SIGNING_ALGORITHM, signRequest } from '../../lib/upstream/signer';
import { apigwError, fault, header } from './respond';

export type EmulatorAuth =
  | { mode: 'none' }
  | { mode: 'noauth' }
  | { mode: 'token'; tokens: string[] }
  | { mode: 'aksk'; credentials: AkSkCredentials[]; maxSkewMs?: number };

function parseSdkDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

/** Checks a request the way the upstream would; returns true when it may proceed. */
export function authorise(req: IncomingMessage, res: ServerResponse, projectId: string, auth: EmulatorAuth): boolean {
  switch (auth.mode) {
    case 'none':
      return true;
    case 'noauth': {
      const token = header(req, 'x-auth-token') ?? '';
      const [, project] = token.split(':');
      if (project === projectId) return true;
      fault(res, 401, 'The request you have made requires authentication.');
      return false;
    }
    case 'token': {
      if (auth.tokens.includes(header(req, 'x-auth-token') ?? '')) return true;
      fault(res, 401, 'The request you have made requires authentication.');
      return false;
    }
    case 'aksk': {
      const authorization = header(req, 'authorization') ?? '';
      const m = new RegExp(`^${SIGNING_ALGORITHM} Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$`).exec(
        authorization,
      );
      const credentials = m ? auth.credentials.find((c) => c.ak === m[1]) : undefined;
      if (!m || !credentials) {
        apigwError(
          res,
          401,
          'APIGW.0301',
          'Incorrect IAM authentication information: AK not found or malformed Authorization',
        );
        return false;
      }
      const sdkDate = parseSdkDate(header(req, 'x-sdk-date') ?? '');
      if (!Number.isFinite(sdkDate) || Math.abs(Date.now() - sdkDate) > (auth.maxSkewMs ?? 15 * 60_000)) {
        apigwError(res, 401, 'APIGW.0301', 'Incorrect IAM authentication information: X-Sdk-Date is out of range');
        return false;
      }
      const signedNames = (m[2] as string).split(';');
      const headers: Record<string, string> = {};
      for (const name of signedNames) {
        if (name === 'host' || name === 'x-sdk-date' || name === 'x-security-token') continue;
        headers[name] = header(req, name) ?? '';
      }
      const securityToken = signedNames.includes('x-security-token') ? header(req, 'x-security-token') : undefined;
      const expected = signRequest(
        { method: req.method ?? 'GET', url: `http://${header(req, 'host')}${req.url}`, headers },
        { ...credentials, securityToken },
        new Date(sdkDate),
      );
      if (expected.Authorization !== authorization || (header(req, 'x-project-id') ?? '') !== projectId) {
        apigwError(res, 401, 'APIGW.0301', 'Incorrect IAM authentication information: verify aksk signature fail');
        return false;
      }
      return true;
    }
  }
}
