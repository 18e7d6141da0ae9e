import { type Env, oneOf } from './env';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVEL, default info. */
export function loadLogLevel(env: Env = process.env): LogLevel {
  const raw = env.LOG_LEVEL?.trim().toLowerCase();
  return oneOf({ LOG_LEVEL: raw }, 'LOG_LEVEL', LOG_LEVELS, 'info');
}
