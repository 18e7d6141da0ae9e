import type { ErrorObject } from 'ajv';
import { lazyValidator, readConfigDocument } from '../config/config-file';
import { compileSafePattern, PatternError, type SafePattern } from '../core/safe-pattern';
import { parseSecretRef, type SecretRef } from '../secrets/reader';
import type { UpstreamAuthOptions, UpstreamOptions } from '../upstream/factory';
import schema from './targets.schema.json';

/** Projects found through Keystone instead of listed; patterns are checked at load time. */
export interface DiscoverySettings {
  identityEndpoint: string;
  namePattern: SafePattern | undefined;
  regionPattern: SafePattern | undefined;
}

/** One cloud endpoint with its credentials and its projects. */
export interface ScanTarget {
  name: string;
  upstream: UpstreamOptions;
  /** Listed projects; undefined when they are discovered. */
  projects: readonly string[] | undefined;
  discover: DiscoverySettings | undefined;
  /** Most projects of this target scanned at once. */
  concurrency: number;
  /** Who owns this target's projects, unless a project names its own (the report's owner column). */
  owner?: string;
  /** Owners the file gives single projects. */
  projectOwners?: Readonly<Record<string, string>>;
}

/** The owner the targets file gives a project of this target, if any. */
export function projectOwnerOf(
  target: Pick<ScanTarget, 'owner' | 'projectOwners'>,
  projectId: string,
): string | undefined {
  return (
    (target.projectOwners && Object.hasOwn(target.projectOwners, projectId)
      ? target.projectOwners[projectId]
      : undefined) ?? target.owner
  );
}

/** What the file holds, as the schema describes it. */
interface TargetEntry {
  name: string;
  endpoint: string;
  region?: string;
  auth:
    | { mode: 'aksk' | 'token'; credentialsSecret: string; iam?: { endpoint: string; user: string; domain: string } }
    | { mode: 'noauth'; user?: string };
  projects?: Array<string | { id: string; owner?: string }>;
  owner?: string;
  discover?: true | { namePattern?: string; regionPattern?: string };
  identityEndpoint?: string;
  concurrency?: number;
}

/** Settings every target shares, from the environment: timeouts, retries, credential cache age. */
export interface TargetDefaults {
  timeoutMs: number;
  maxBodyBytes: number;
  retry: UpstreamOptions['retry'];
  credentialsMaxAgeSeconds: number;
  concurrency: number;
}

const validate = lazyValidator(schema);

/** The auth mode is a discriminator: say which modes there are. */
function describeAuthMode(error: ErrorObject): string | undefined {
  if (error.keyword === 'discriminator')
    return `"${String((error.params as { tag?: unknown }).tag)}" must be aksk, token or noauth`;
  if (error.keyword === 'pattern' || error.keyword === 'const') return error.message;
  return undefined;
}

const REGION_OF_ENDPOINT = /^evs\.([a-z0-9-]+)\./;

/**
 * Reads a targets file (YAML or JSON; JSON is YAML) and checks it against targets.schema.json
 * and the rules the schema cannot say (unique names, projects or discover, secret references,
 * patterns that compile). Every error names the file, line and column, and the field.
 */
export function parseTargets(text: string, source: string, defaults: TargetDefaults): ScanTarget[] {
  const { value, fail } = readConfigDocument<{ targets: TargetEntry[] }>(text, source, validate, describeAuthMode);
  const entries = value.targets;
  const names = new Set<string>();
  return entries.map((entry, i) => {
    const path = ['targets', i];
    if (names.has(entry.name)) fail([...path, 'name'], `"${entry.name}" is used by another target`);
    names.add(entry.name);
    if ((entry.projects === undefined) === (entry.discover === undefined))
      fail(path, 'must have either "projects" or "discover"');
    const pattern = (key: 'namePattern' | 'regionPattern') => {
      const raw = typeof entry.discover === 'object' ? entry.discover[key] : undefined;
      if (raw === undefined) return undefined;
      try {
        return compileSafePattern(raw);
      } catch (error) {
        return fail(
          [...path, 'discover', key],
          error instanceof PatternError ? error.message : 'is not a valid regular expression',
        );
      }
    };
    let discover: DiscoverySettings | undefined;
    if (entry.discover !== undefined) {
      const identityEndpoint =
        entry.identityEndpoint ?? (entry.auth.mode === 'token' ? entry.auth.iam?.endpoint : undefined);
      if (!identityEndpoint) fail(path, 'discovers its projects, so it needs "identityEndpoint" (Keystone or IAM)');
      discover = {
        identityEndpoint: (identityEndpoint as string).replace(/\/+$/, ''),
        namePattern: pattern('namePattern'),
        regionPattern: pattern('regionPattern'),
      };
    }
    let auth: UpstreamAuthOptions;
    if (entry.auth.mode === 'noauth') {
      auth = { mode: 'noauth', user: entry.auth.user ?? 'admin' };
    } else {
      let secret;
      try {
        secret = parseSecretRef(entry.auth.credentialsSecret, 'credentialsSecret');
      } catch (e) {
        return fail([...path, 'auth', 'credentialsSecret'], (e as Error).message.replace(/^credentialsSecret /, ''));
      }
      const iam =
        entry.auth.mode === 'token' && entry.auth.iam
          ? {
              iamEndpoint: entry.auth.iam.endpoint.replace(/\/+$/, ''),
              userName: entry.auth.iam.user,
              domainName: entry.auth.iam.domain,
            }
          : undefined;
      auth = { mode: 'secret', auth: entry.auth.mode, secret, iam, maxAgeSeconds: defaults.credentialsMaxAgeSeconds };
    }
    const projectIds = entry.projects?.map((p) => (typeof p === 'string' ? p : p.id));
    if (projectIds && new Set(projectIds).size !== projectIds.length)
      fail([...path, 'projects'], 'lists a project twice');
    const projectOwners = Object.create(null) as Record<string, string>;
    for (const p of entry.projects ?? [])
      if (typeof p !== 'string' && p.owner !== undefined) projectOwners[p.id] = p.owner;
    const endpoint = entry.endpoint.replace(/\/+$/, '');
    const region = entry.region ?? REGION_OF_ENDPOINT.exec(new URL(endpoint).hostname)?.[1] ?? entry.name;
    return {
      name: entry.name,
      upstream: {
        endpoint,
        region,
        auth,
        timeoutMs: defaults.timeoutMs,
        maxBodyBytes: defaults.maxBodyBytes,
        retry: defaults.retry,
      },
      projects: projectIds,
      discover,
      concurrency: entry.concurrency ?? defaults.concurrency,
      ...(entry.owner !== undefined ? { owner: entry.owner } : {}),
      ...(Object.keys(projectOwners).length > 0 ? { projectOwners } : {}),
    };
  });
}

/** Where the scanner's targets come from: the settings themselves, or a parameter read at run time. */
export type TargetsSource =
  | { kind: 'static'; targets: ScanTarget[] }
  | { kind: 'parameter'; ref: SecretRef; defaults: TargetDefaults };
