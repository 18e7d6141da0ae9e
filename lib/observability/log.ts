import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { type LogLevel, loadLogLevel } from '../config/logging';

/** One JSON object per line, the shape CloudWatch Logs Insights queries well. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** The Powertools logger behind it, for its middy middleware (Lambda request id, cold start). */
  readonly powertools?: PowertoolsLogger;
}

// Field names that may carry credentials are never written, whatever a caller passes.
const SECRET_FIELD = /(^|_)(ak|sk|secret|password|token|authorization|signature|credential)s?$/i;

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = SECRET_FIELD.test(key) ? '[redacted]' : value;
  return out;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

function safeLevel(): LogLevel {
  try {
    return loadLogLevel();
  } catch {
    return 'info';
  }
}

/**
 * The functions' logger: Powertools Logger (JSON lines with the Lambda context its middleware
 * adds), with every field whose name may carry a credential redacted, whatever a caller passes.
 */
export function createFunctionLogger(serviceName: string, minimum: LogLevel = safeLevel()): Logger {
  const powertools = new PowertoolsLogger({
    serviceName,
    logLevel: minimum === 'silent' ? 'SILENT' : (minimum.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'),
    jsonReplacerFn: (key: string, value: unknown) => (key && SECRET_FIELD.test(key) ? '[redacted]' : value),
  });
  return {
    powertools,
    debug: (m, f) => powertools.debug(m, redact(f ?? {})),
    info: (m, f) => powertools.info(m, redact(f ?? {})),
    warn: (m, f) => powertools.warn(m, redact(f ?? {})),
    error: (m, f) => powertools.error(m, redact(f ?? {})),
  };
}

/** A JSON-lines logger writing to a stream (tests and scripts pass their own). */
export function createLogger(
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  minimum: LogLevel = safeLevel(),
): Logger {
  const emit = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) =>
    RANK[level] >= RANK[minimum] &&
    write(JSON.stringify({ level, time: new Date().toISOString(), message, ...base, ...redact(fields) }));
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** Fields that describe an error without any upstream body; the stack only for bugs (not EvsErrors). */
export function describeError(error: unknown, options: { stack?: boolean } = {}): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const e = error as Error & { status?: unknown; code?: unknown; requestId?: unknown };
  return {
    errorName: e.name,
    errorMessage: e.message,
    ...(typeof e.status === 'number' ? { status: e.status } : {}),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.requestId === 'string' ? { upstreamRequestId: e.requestId } : {}),
    ...(options.stack && e.stack ? { stack: e.stack } : {}),
  };
}
