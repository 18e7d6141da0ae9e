import { ConfigError } from '../core/errors';
import { isProjectId } from '../domain/project';

// The configuration readers' error, defined with the rest of the family in lib/core/errors.ts.
export { ConfigError };

export type Env = Readonly<Record<string, string | undefined>>;

/** A trimmed value, or undefined when unset or blank. */
export function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function required(env: Env, name: string, why: string): string {
  const value = text(env, name);
  if (value === undefined) throw new ConfigError(`${name} is not set: ${why}`);
  return value;
}

export function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

export function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function oneOf<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = text(env, name) ?? fallback;
  if (!(choices as readonly string[]).includes(raw))
    throw new ConfigError(`${name} must be ${choices.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** A comma list of project ids (or `*` where allowed), each checked against the one project id rule. */
export function projectList(env: Env, name: string, allowStar: boolean): string[] | '*' {
  const raw = text(env, name) ?? '';
  if (allowStar && raw === '*') return '*';
  const ids = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const id of ids) {
    if (!isProjectId(id)) throw new ConfigError(`${name} holds "${id}", which is not a project id`);
  }
  return [...new Set(ids)];
}

/** Whether a value is an absolute http(s) URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const parsed = new URL(value);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:';
  } catch {
    return false;
  }
}

/** An http(s) URL without its trailing slashes. A secret URL (a webhook) is not repeated in the error. */
export function httpUrl(env: Env, name: string, why: string, options: { secret?: boolean } = {}): string {
  const value = required(env, name, why);
  if (!isHttpUrl(value))
    throw new ConfigError(`${name} must be an http(s) URL${options.secret ? '' : `, got "${value}"`}`);
  return value.replace(/\/+$/, '');
}

export function optionalHttpUrl(
  env: Env,
  name: string,
  why: string,
  options: { secret?: boolean } = {},
): string | undefined {
  return text(env, name) === undefined ? undefined : httpUrl(env, name, why, options);
}

/** A DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .), or undefined when unset. */
export function tableName(env: Env, name: string): string | undefined {
  const value = text(env, name);
  if (value !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/.test(value))
    throw new ConfigError(`${name} must be a DynamoDB table name (3 to 255 letters, digits, _ - .), got "${value}"`);
  return value;
}

/** An S3 bucket name (3-63 of a-z 0-9 . -, starting and ending with a letter or digit), or undefined when unset. */
export function bucketName(env: Env, name: string): string | undefined {
  const value = text(env, name);
  if (value !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value))
    throw new ConfigError(
      `${name} must be an S3 bucket name (3 to 63 lower-case letters, digits, dots and dashes), got "${value}"`,
    );
  return value;
}
