import { DEFAULT_SOURCE } from './events/contract';
import type { RetryOptions } from './retry';
import { DEFAULT_POLICY, DEFAULT_STUCK_MINUTES, type ScanPolicy } from './scan/policy';

/** A setting is missing or malformed; the message names the variable and the rule. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

const PROJECT_ID = /^[A-Za-z0-9_-]{1,64}$/;

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function required(env: Env, name: string, why: string): string {
  const value = text(env, name);
  if (value === undefined) throw new ConfigError(`${name} is not set: ${why}`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function projectList(env: Env, name: string, allowStar: boolean): string[] | '*' {
  const raw = text(env, name) ?? '';
  if (allowStar && raw === '*') return '*';
  const ids = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) {
    if (!PROJECT_ID.test(id)) throw new ConfigError(`${name} holds "${id}", which is not a project id`);
  }
  return ids;
}

function url(env: Env, name: string, why: string): string {
  const value = required(env, name, why);
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${value}"`);
  }
  return value.replace(/\/+$/, '');
}

export type UpstreamAuthConfig =
  | { mode: 'aksk'; ak: string; sk: string; securityToken: string | undefined }
  | { mode: 'token'; token: string }
  | { mode: 'iam'; iamEndpoint: string; userName: string; password: string; domainName: string }
  | { mode: 'noauth'; user: string };

export interface UpstreamConfig {
  endpoint: string;
  /** Cloud region reported in events; from EVS_REGION or the endpoint's host name. */
  region: string;
  auth: UpstreamAuthConfig;
  timeoutMs: number;
  retry: RetryOptions;
}

function readAuth(env: Env): UpstreamAuthConfig {
  const mode = text(env, 'EVS_AUTH') ?? 'aksk';
  switch (mode) {
    case 'aksk':
      return {
        mode,
        ak: required(env, 'HUAWEICLOUD_SDK_AK', 'EVS_AUTH=aksk signs requests with an access key'),
        sk: required(env, 'HUAWEICLOUD_SDK_SK', 'EVS_AUTH=aksk signs requests with a secret key'),
        securityToken: text(env, 'HUAWEICLOUD_SDK_SECURITY_TOKEN'),
      };
    case 'token': {
      const token = text(env, 'EVS_TOKEN');
      if (token) return { mode: 'token', token };
      const why = 'EVS_AUTH=token needs EVS_TOKEN, or IAM password settings to fetch one';
      return {
        mode: 'iam',
        iamEndpoint: url(env, 'EVS_IAM_ENDPOINT', why),
        userName: required(env, 'EVS_IAM_USER', why),
        password: required(env, 'EVS_IAM_PASSWORD', why),
        domainName: required(env, 'EVS_IAM_DOMAIN', why),
      };
    }
    case 'noauth':
      return { mode, user: text(env, 'EVS_NOAUTH_USER') ?? 'admin' };
    default:
      throw new ConfigError(`EVS_AUTH must be aksk, token or noauth, got "${mode}"`);
  }
}

function regionOf(endpoint: string): string {
  const host = new URL(endpoint).hostname;
  const match = /^evs\.([a-z0-9-]+)\./.exec(host);
  return match?.[1] ?? 'unknown';
}

/** Settings for talking to EVS or Cinder. */
export function loadUpstreamConfig(env: Env = process.env): UpstreamConfig {
  const endpoint = url(env, 'EVS_ENDPOINT', 'the EVS or Cinder endpoint to list snapshots from');
  return {
    endpoint,
    region: text(env, 'EVS_REGION') ?? regionOf(endpoint),
    auth: readAuth(env),
    timeoutMs: integer(env, 'EVS_TIMEOUT_MS', 10_000, 100, 120_000),
    retry: {
      maxAttempts: integer(env, 'EVS_MAX_ATTEMPTS', 3, 1, 10),
      baseDelayMs: integer(env, 'EVS_RETRY_BASE_MS', 100, 1, 60_000),
      maxDelayMs: integer(env, 'EVS_RETRY_MAX_MS', 2_000, 1, 60_000),
    },
  };
}

export interface ProxyConfig {
  upstream: UpstreamConfig;
  allowedProjects: string[] | '*';
}

/** Settings of the list proxy. */
export function loadProxyConfig(env: Env = process.env): ProxyConfig {
  if (text(env, 'ALLOWED_PROJECT_IDS') === undefined) {
    throw new ConfigError('ALLOWED_PROJECT_IDS is not set: list the project ids callers may read, comma separated, or * for all');
  }
  return { upstream: loadUpstreamConfig(env), allowedProjects: projectList(env, 'ALLOWED_PROJECT_IDS', true) };
}


export interface ScanConfig {
  upstream: UpstreamConfig;
  projects: string[];
  policy: ScanPolicy;
  eventSource: string;
  eventBusName: string;
  maxBatchBytes: number;
  publishRetry: RetryOptions;
  publishConcurrency: number;
  concurrency: number;
  pageSize: number;
  maxPages: number;
  /** Time kept back from listing before the deadline, to publish and report. */
  reserveMs: number;
}

function stuckThresholds(env: Env): Record<string, number> {
  const thresholds: Record<string, number> = { ...DEFAULT_STUCK_MINUTES };
  const raw = text(env, 'STUCK_AFTER_MINUTES');
  if (raw === undefined) return thresholds;
  for (const pair of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [status, minutes] = pair.split('=').map((s) => s.trim());
    if (!status || !(status in DEFAULT_STUCK_MINUTES)) {
      throw new ConfigError(`STUCK_AFTER_MINUTES names "${status}", which is not one of ${Object.keys(DEFAULT_STUCK_MINUTES).join(', ')}`);
    }
    if (!minutes || !/^\d+$/.test(minutes) || Number(minutes) < 1 || Number(minutes) > 525_600) {
      throw new ConfigError(`STUCK_AFTER_MINUTES gives ${status} "${minutes ?? ''}"; use status=minutes with minutes from 1 to 525600`);
    }
    thresholds[status] = Number(minutes);
  }
  return thresholds;
}

/** Settings of the scanner, validated at start-up. */
export function loadScanConfig(env: Env = process.env): ScanConfig {
  let projects = projectList(env, 'SCAN_PROJECT_IDS', false) as string[];
  if (projects.length === 0) {
    const allowed = text(env, 'ALLOWED_PROJECT_IDS') === undefined ? [] : projectList(env, 'ALLOWED_PROJECT_IDS', true);
    if (allowed === '*' || allowed.length === 0) {
      throw new ConfigError('SCAN_PROJECT_IDS is not set: list the project ids to scan (ALLOWED_PROJECT_IDS is used when it names projects rather than *)');
    }
    projects = allowed;
  }
  const eventSource = text(env, 'EVENT_SOURCE') ?? DEFAULT_SOURCE;
  if (eventSource.startsWith('aws.')) throw new ConfigError(`EVENT_SOURCE must not start with "aws.", got "${eventSource}"`);
  return {
    upstream: loadUpstreamConfig(env),
    projects: [...new Set(projects)],
    policy: {
      stuckAfterMinutes: stuckThresholds(env),
      staleAfterDays: integer(env, 'STALE_AFTER_DAYS', DEFAULT_POLICY.staleAfterDays, 1, 36_500),
      staleExcludesAutomatic: flag(env, 'STALE_EXCLUDE_AUTOMATIC', DEFAULT_POLICY.staleExcludesAutomatic),
    },
    eventSource,
    eventBusName: text(env, 'EVENT_BUS_NAME') ?? 'default',
    maxBatchBytes: integer(env, 'EVENT_MAX_BATCH_BYTES', 256 * 1024, 1_024, 1_048_576),
    publishRetry: {
      maxAttempts: integer(env, 'EVENT_MAX_ATTEMPTS', 5, 1, 20),
      baseDelayMs: integer(env, 'EVENT_RETRY_BASE_MS', 100, 1, 60_000),
      maxDelayMs: integer(env, 'EVENT_RETRY_MAX_MS', 3_000, 1, 60_000),
    },
    publishConcurrency: integer(env, 'EVENT_PUBLISH_CONCURRENCY', 4, 1, 32),
    concurrency: integer(env, 'SCAN_CONCURRENCY', 3, 1, 16),
    pageSize: integer(env, 'SCAN_PAGE_SIZE', 1000, 1, 1000),
    maxPages: integer(env, 'SCAN_MAX_PAGES', 10_000, 1, 1_000_000),
    reserveMs: integer(env, 'SCAN_RESERVE_MS', 5_000, 0, 600_000),
  };
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** LOG_LEVEL, default info. */
export function loadLogLevel(env: Env = process.env): LogLevel {
  const raw = (text(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(raw)) throw new ConfigError(`LOG_LEVEL must be debug, info, warn, error or silent, got "${raw}"`);
  return raw as LogLevel;
}

export interface SubscriberConfig {
  webhookUrl: string | undefined;
  webhookTimeoutMs: number;
}

/** Settings of the example alert subscriber. */
export function loadSubscriberConfig(env: Env = process.env): SubscriberConfig {
  return {
    webhookUrl: text(env, 'ALERT_WEBHOOK_URL') === undefined ? undefined : url(env, 'ALERT_WEBHOOK_URL', 'where alerts are posted'),
    webhookTimeoutMs: integer(env, 'ALERT_WEBHOOK_TIMEOUT_MS', 5_000, 100, 60_000),
  };
}
