/**
 * Notification routes: which finding transitions and scan-health changes reach which
 * destinations, and how often. A routes file (YAML or JSON, routes.schema.json) is read by the
 * same reader as the policy and targets files; without one, the default routes below apply.
 * Matching is pure: the notifier hands it a notice, it answers the routes, in file order, that
 * take it (the first match, and every match after a route that says `continue`).
 */
import type { ErrorObject } from 'ajv';
import { type FieldPath, lazyValidator, readConfigDocument } from '../config/config-file';
import type { Severity } from '../domain/finding';
import { DEFAULT_OWNER_KEY } from '../domain/owner';
import { parseSecretRef, type SecretRef } from '../secrets/reader';
import type { CleanupNotice, DestinationKind, NoticeFinding, NoticeKind, ScanHealthNotice } from './model';
import schema from './routes.schema.json';

/** Where a destination's address comes from: a plain value (local only), a secret, or an SNS topic ARN (not a secret). */
export type DestinationAddress = { url: string } | { secret: SecretRef } | { topicArn: string };

export interface Destination {
  kind: DestinationKind;
  /** How logs and metrics name it; never its address. */
  name: string;
  address: DestinationAddress;
}

export interface RouteMatch {
  severity?: Severity[];
  findingType?: string[];
  transition?: NoticeKind[];
  target?: string[];
  region?: string[];
  project?: string[];
  owner?: string[];
  metadata?: Record<string, string[] | true>;
  name?: RegExp;
}

export type Delivery = { mode: 'immediate' } | { mode: 'digest'; windowMs: number; window: string };

export interface Route {
  name: string;
  match: RouteMatch;
  continue: boolean;
  health: boolean;
  delivery: Delivery;
  destinations: Destination[];
}

export interface Routes {
  /** Where they came from: a file's path, or `default`. */
  source: string;
  ownerKey: string;
  links: { report?: string; findings?: string };
  routes: Route[];
}

interface RouteEntry {
  name: string;
  match?: Omit<RouteMatch, 'name'> & { name?: { pattern: string } };
  continue?: boolean;
  health?: boolean;
  delivery: { mode: 'immediate' } | { mode: 'digest'; window: string };
  destinations: Array<{ kind: DestinationKind; name?: string; url?: string; secret?: string; topicArn?: string }>;
}

interface RoutesDocument {
  version: 1;
  ownerKey?: string;
  links?: { report?: string; findings?: string };
  routes: RouteEntry[];
}

const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `15m` → 900000. */
export function windowMs(text: string): number {
  return Number(text.slice(0, -1)) * (UNIT_MS[text.slice(-1)] ?? Number.NaN);
}

/** The longest snapshot name a name pattern is tried on: bounded input keeps even a slow pattern fast. */
export const MAX_NAME_MATCH_LENGTH = 255;

/**
 * Patterns that can backtrack exponentially: a quantified group that itself holds a quantifier
 * (`(a+)+`, `(\w*x)*`, `(a|b+){2,}`), or a back-reference. Refused when the file is read.
 */
export function unsafePatternReason(pattern: string): string | undefined {
  if (/\\[1-9]|\\k</.test(pattern)) return 'uses a back-reference, which can take exponential time';
  const stack: boolean[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      // Skip a character class: quantifier characters in it are literals.
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      continue;
    }
    if (c === '(') stack.push(false);
    else if (c === ')') {
      const inner = stack.pop() ?? false;
      const next = pattern[i + 1];
      const quantified = next === '*' || next === '+' || next === '{' || next === '?';
      if (inner && quantified && next !== '?')
        return 'nests a quantifier inside a quantified group, which can take exponential time';
      if ((inner || quantified) && stack.length > 0) stack[stack.length - 1] = true;
    } else if ((c === '*' || c === '+' || c === '{') && stack.length > 0) stack[stack.length - 1] = true;
  }
  return undefined;
}

const validate = lazyValidator(schema);

const describe = (error: ErrorObject): string | undefined =>
  error.keyword === 'pattern' && error.instancePath.endsWith('/window')
    ? 'must be a window such as 15m, 1h or 1d'
    : undefined;

export interface LoadRoutesOptions {
  /** Whether a destination may give a plain URL (locally, or with ALLOW_PLAIN_SECRETS=true). */
  allowPlainUrls: boolean;
}

/** Reads and checks a routes file; a ConfigError names the file, line and field. */
export function parseRoutes(text: string, source: string, options: LoadRoutesOptions): Routes {
  const doc = readConfigDocument<RoutesDocument>(text, source, validate, describe);
  const { value, fail } = doc;
  const names = new Set<string>();
  const routes = value.routes.map((entry, index): Route => {
    const at = (...path: FieldPath) => ['routes', index, ...path];
    if (names.has(entry.name)) fail(at('name'), `repeats the route name "${entry.name}"`);
    names.add(entry.name);
    let name: RegExp | undefined;
    const pattern = entry.match?.name?.pattern;
    if (pattern !== undefined) {
      const unsafe = unsafePatternReason(pattern);
      if (unsafe) fail(at('match', 'name', 'pattern'), unsafe);
      try {
        name = new RegExp(pattern, 'u');
      } catch {
        fail(at('match', 'name', 'pattern'), 'is not a valid regular expression');
      }
    }
    const destinations = entry.destinations.map((d, i): Destination => {
      const where = at('destinations', i);
      const given = (['url', 'secret', 'topicArn'] as const).filter((k) => d[k] !== undefined);
      if (given.length !== 1) fail(where, 'must give exactly one of url, secret or topicArn');
      if (d.topicArn !== undefined && d.kind !== 'sns')
        fail([...where, 'topicArn'], `is for kind sns; a ${d.kind} destination takes url or secret`);
      if (d.url !== undefined && d.kind === 'sns')
        fail([...where, 'url'], 'is not for kind sns: give topicArn or secret');
      if (d.url !== undefined && !options.allowPlainUrls)
        fail(
          [...where, 'url'],
          'is a plain URL in a deployed function: keep it in a secret (secret: ARN or ssm:/name), or set ALLOW_PLAIN_SECRETS=true',
        );
      const secretRef = (secret: string): SecretRef => {
        try {
          return parseSecretRef(secret, 'secret');
        } catch (error) {
          return fail([...where, 'secret'], (error as Error).message.replace(/^secret /, ''));
        }
      };
      const address: DestinationAddress =
        d.secret !== undefined
          ? { secret: secretRef(d.secret) }
          : d.url !== undefined
            ? { url: d.url }
            : { topicArn: d.topicArn as string };
      return { kind: d.kind, name: d.name ?? `${entry.name}-${i + 1}`, address };
    });
    const { name: _n, ...match } = entry.match ?? {};
    return {
      name: entry.name,
      match: { ...match, ...(name ? { name } : {}) },
      continue: entry.continue ?? false,
      health: entry.health ?? true,
      delivery:
        entry.delivery.mode === 'immediate'
          ? { mode: 'immediate' }
          : { mode: 'digest', window: entry.delivery.window, windowMs: windowMs(entry.delivery.window) },
      destinations,
    };
  });
  return { source, ownerKey: value.ownerKey ?? DEFAULT_OWNER_KEY, links: value.links ?? {}, routes };
}

export interface DefaultRouteOptions {
  /** Where the default routes post; none: no default routes. */
  destinations: Destination[];
  /** The scan cycle: high and medium changes are one digest per cycle. */
  cycleMinutes: number;
  links?: Routes['links'];
}

/**
 * Without a routes file: high and medium findings opened, escalated and resolved, and scan-health
 * changes, in one digest per scan cycle; low ones (STALE) in a daily digest. Reminders and
 * de-escalations stay out: they change nothing anyone must act on today.
 */
export function defaultRoutes(options: DefaultRouteOptions): Routes {
  if (options.destinations.length === 0)
    return { source: 'default', ownerKey: DEFAULT_OWNER_KEY, links: options.links ?? {}, routes: [] };
  const cycle = `${options.cycleMinutes}m`;
  return {
    source: 'default',
    ownerKey: DEFAULT_OWNER_KEY,
    links: options.links ?? {},
    routes: [
      {
        name: 'default',
        match: { severity: ['high', 'medium'], transition: ['new', 'escalated', 'resolved'] },
        continue: false,
        health: true,
        delivery: { mode: 'digest', window: cycle, windowMs: windowMs(cycle) },
        destinations: options.destinations,
      },
      {
        name: 'default-daily',
        match: { severity: ['low'], transition: ['new', 'escalated', 'resolved'] },
        continue: false,
        health: false,
        delivery: { mode: 'digest', window: '1d', windowMs: windowMs('1d') },
        destinations: options.destinations,
      },
    ],
  };
}

const has = <T>(list: readonly T[] | undefined, value: T) => list === undefined || list.includes(value);

/** What severity, place, owner, metadata and name conditions look at: a finding's or a cleanup notice's. */
interface MatchSubject {
  severity: Severity;
  target: string;
  region: string;
  projectId: string;
  owner: string | null;
  snapshot: { name: string | null; metadata?: Record<string, string> } | null;
}

function subjectMatches(match: RouteMatch, notice: MatchSubject): boolean {
  if (!has(match.severity, notice.severity)) return false;
  if (!has(match.target, notice.target) || !has(match.region, notice.region) || !has(match.project, notice.projectId))
    return false;
  if (match.owner && (notice.owner === null || !match.owner.includes(notice.owner))) return false;
  for (const [key, wanted] of Object.entries(match.metadata ?? {})) {
    const actual = notice.snapshot?.metadata?.[key];
    if (typeof actual !== 'string') return false;
    if (wanted !== true && !wanted.includes(actual)) return false;
  }
  if (match.name) {
    match.name.lastIndex = 0;
    if (!match.name.test((notice.snapshot?.name ?? '').slice(0, MAX_NAME_MATCH_LENGTH))) return false;
  }
  return true;
}

/** Whether one route's conditions all hold for a finding transition. */
export function routeMatches(match: RouteMatch, notice: NoticeFinding): boolean {
  if (!has(match.findingType, notice.findingType) || !has(match.transition, notice.kind)) return false;
  return subjectMatches(match, notice);
}

/**
 * Whether a route takes a cleanup notice: its severity, place, owner, metadata and name
 * conditions hold. A route that names finding types is about those findings and takes none;
 * `transition` describes findings only and is not a condition here, so the default routes
 * (high and medium new, escalated, resolved) carry marks, failures and brakes.
 */
export function routeTakesCleanup(match: RouteMatch, notice: CleanupNotice): boolean {
  return match.findingType === undefined && subjectMatches(match, notice);
}

/** The routes a finding transition goes to: the first that matches, and the next ones while a match says `continue`. */
export function routesFor(routes: readonly Route[], notice: NoticeFinding): Route[] {
  return firstMatches(routes, (r) => routeMatches(r.match, notice));
}

/** The routes a cleanup notice goes to, first match first as for findings. */
export function routesForCleanup(routes: readonly Route[], notice: CleanupNotice): Route[] {
  return firstMatches(routes, (r) => routeTakesCleanup(r.match, notice));
}

function firstMatches(routes: readonly Route[], matches: (route: Route) => boolean): Route[] {
  const taken: Route[] = [];
  for (const route of routes) {
    if (!matches(route)) continue;
    taken.push(route);
    if (!route.continue) break;
  }
  return taken;
}

/** The routes a scan-health notice goes to: every route that takes health notices and whose target/region/project conditions hold. */
export function routesForHealth(routes: readonly Route[], notice: ScanHealthNotice): Route[] {
  return routes.filter(
    (r) =>
      r.health &&
      has(r.match.target, notice.target) &&
      has(r.match.region, notice.region) &&
      has(r.match.project, notice.projectId),
  );
}
