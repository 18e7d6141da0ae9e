import Ajv, { type ErrorObject } from 'ajv';
import { isMap, LineCounter, parseDocument } from 'yaml';
import type { UpstreamAuthOptions, UpstreamOptions } from '../evs/factory';
import { parseSecretRef } from '../secrets/reader';
import { ConfigError } from '../settings/env';
import schema from './targets.schema.json';

/** Projects found through Keystone instead of listed; patterns are checked at load time. */
export interface DiscoverySettings {
  identityEndpoint: string;
  namePattern: RegExp | undefined;
  regionPattern: RegExp | undefined;
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
}

/** What the file holds, as the schema describes it. */
interface TargetEntry {
  name: string;
  endpoint: string;
  region?: string;
  auth: { mode: 'aksk' | 'token'; credentialsSecret: string; iam?: { endpoint: string; user: string; domain: string } } | { mode: 'noauth'; user?: string };
  projects?: string[];
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

let validator: import('ajv').ValidateFunction | undefined;
function validate(value: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: false, discriminator: true }).compile(schema);
  return validator(value) ? [] : (validator.errors ?? []);
}

/** `targets[1].auth.mode`, from a JSON pointer. */
function fieldName(pointer: readonly (string | number)[]): string {
  return pointer.reduce<string>((name, key) => (typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${key}` : key), '') || '(top level)';
}

function describeSchemaError(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return `has the field "${String(p.additionalProperty)}", which is not allowed here`;
  if (error.keyword === 'required') return `is missing "${String(p.missingProperty)}"`;
  if (error.keyword === 'discriminator') return `"${String(p.tag)}" must be aksk, token or noauth`;
  if (error.keyword === 'pattern' || error.keyword === 'const' || error.keyword === 'enum') return `${error.message ?? 'is not allowed'}`;
  return error.message ?? 'is not valid';
}

const REGION_OF_ENDPOINT = /^evs\.([a-z0-9-]+)\./;

/**
 * Reads a targets file (YAML or JSON; JSON is YAML) and checks it against targets.schema.json
 * and the rules the schema cannot say (unique names, projects or discover, secret references,
 * patterns that compile). Every error names the file, line and column, and the field.
 */
export function parseTargets(text: string, source: string, defaults: TargetDefaults): ScanTarget[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return source;
    const { line, col } = lineCounter.linePos(offset);
    return `${source}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const first = doc.errors[0] as { pos: [number, number]; message: string };
    throw new ConfigError(`${at(first.pos[0])}: not valid YAML or JSON: ${first.message.split('\n')[0]}`);
  }
  /** The position of the deepest node along a path that exists. */
  const where = (path: readonly (string | number)[]) => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return at(node.range[0]);
    }
    return source;
  };
  const fail = (path: readonly (string | number)[], why: string): never => {
    throw new ConfigError(`${where(path)}: ${fieldName(path)} ${why}`);
  };

  const value = doc.toJS() as unknown;
  const [error] = validate(value);
  if (error) {
    const path = error.instancePath.split('/').slice(1).map((k) => (/^\d+$/.test(k) ? Number(k) : k.replaceAll('~1', '/').replaceAll('~0', '~')));
    const container = doc.getIn(path, true);
    // A field that is not allowed is reported where it is, not where its object starts.
    if (error.keyword === 'additionalProperties' && isMap(container)) {
      const extra = String((error.params as { additionalProperty: string }).additionalProperty);
      fail([...path, extra], 'is not a field of this object');
    }
    fail(path, describeSchemaError(error));
  }

  const entries = (value as { targets: TargetEntry[] }).targets;
  const names = new Set<string>();
  return entries.map((entry, i) => {
    const path = ['targets', i];
    if (names.has(entry.name)) fail([...path, 'name'], `"${entry.name}" is used by another target`);
    names.add(entry.name);
    if ((entry.projects === undefined) === (entry.discover === undefined)) fail(path, 'must have either "projects" or "discover"');
    const pattern = (key: 'namePattern' | 'regionPattern') => {
      const raw = typeof entry.discover === 'object' ? entry.discover[key] : undefined;
      if (raw === undefined) return undefined;
      try {
        return new RegExp(raw);
      } catch {
        return fail([...path, 'discover', key], 'is not a valid regular expression');
      }
    };
    let discover: DiscoverySettings | undefined;
    if (entry.discover !== undefined) {
      const identityEndpoint = entry.identityEndpoint ?? (entry.auth.mode === 'token' ? entry.auth.iam?.endpoint : undefined);
      if (!identityEndpoint) fail(path, 'discovers its projects, so it needs "identityEndpoint" (Keystone or IAM)');
      discover = { identityEndpoint: (identityEndpoint as string).replace(/\/+$/, ''), namePattern: pattern('namePattern'), regionPattern: pattern('regionPattern') };
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
      const iam = entry.auth.mode === 'token' && entry.auth.iam ? { iamEndpoint: entry.auth.iam.endpoint.replace(/\/+$/, ''), userName: entry.auth.iam.user, domainName: entry.auth.iam.domain } : undefined;
      auth = { mode: 'secret', auth: entry.auth.mode, secret, iam, maxAgeSeconds: defaults.credentialsMaxAgeSeconds };
    }
    const endpoint = entry.endpoint.replace(/\/+$/, '');
    const region = entry.region ?? REGION_OF_ENDPOINT.exec(new URL(endpoint).hostname)?.[1] ?? entry.name;
    return {
      name: entry.name,
      upstream: { endpoint, region, auth, timeoutMs: defaults.timeoutMs, maxBodyBytes: defaults.maxBodyBytes, retry: defaults.retry },
      projects: entry.projects,
      discover,
      concurrency: entry.concurrency ?? defaults.concurrency,
    };
  });
}
