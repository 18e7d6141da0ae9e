import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { vi } from 'vitest';

export type ProxyHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode: number; headers?: Record<string, string>; body: string }>;

/** Imports a fresh copy of the proxy handler built from exactly this environment. */
export async function importProxyHandler(env: Record<string, string | undefined>): Promise<ProxyHandler> {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (/^(EVS_|HUAWEICLOUD_|ALLOWED_)/.test(key)) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value;
  vi.resetModules();
  try {
    const mod = (await import('../../functions/list-snapshots')) as unknown as { handler: ProxyHandler };
    return mod.handler;
  } finally {
    process.env = saved;
  }
}
