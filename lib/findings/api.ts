import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { RequestError } from '../core/errors';
import { FINDING_TYPES } from '../domain/finding';
import { allowedProject, invalidParameter, onlyKnownParams } from '../http/query';
import { FINDING_STATES, type FindingItem } from '../state/records';
import type { FindingQueryStore, ListFilters } from '../state/store';
import schema from './suppression.schema.json';

type SuppressionBody = { until: string; reason: string };
// Compiled on the first suppression, not at cold start: most calls list findings.
let compiled: import('ajv').ValidateFunction<SuppressionBody> | undefined;
function validateBody(body: unknown): body is SuppressionBody {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: false, strict: true });
    addFormats(ajv);
    compiled = ajv.compile<SuppressionBody>(schema);
  }
  return compiled(body);
}

export const MAX_BODY_BYTES = 4_096;
const YEAR_MS = 366 * 86_400_000;
const FINDING_ID = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const LIST_KEYS = ['state', 'severity', 'finding_type', 'snapshot_id', 'limit', 'marker'] as const;

export interface FindingsDeps {
  store: FindingQueryStore;
  allowedProjects: readonly string[] | '*';
  now?: () => number;
}

/** A finding as the API shows it: snake_case like the snapshot API, suppression as one object. */
export function presentFinding(item: FindingItem) {
  return {
    id: item.findingId,
    project_id: item.projectId,
    snapshot_id: item.snapshotId,
    finding_type: item.findingType,
    severity: item.severity,
    state: item.state,
    reason: item.reason,
    first_seen_at: item.firstSeenAt,
    last_seen_at: item.lastSeenAt,
    last_notified_at: item.lastNotifiedAt,
    runs_seen: item.runsSeen,
    resolved_at: item.resolvedAt ?? null,
    suppression: item.suppressedUntil
      ? {
          until: item.suppressedUntil,
          reason: item.suppressionReason ?? '',
          by: item.suppressedBy ?? '',
          at: item.suppressedAt ?? '',
        }
      : null,
    snapshot: item.snapshot,
    // A volume's finding (UNPROTECTED_VOLUME) names its volume instead of a snapshot.
    ...(item.volume ? { volume_id: item.volumeId ?? item.volume.id, volume: item.volume } : {}),
  };
}

const checkProject = (deps: FindingsDeps, projectId: string | undefined) =>
  allowedProject(deps.allowedProjects, projectId);

function checkFindingId(findingId: string | undefined): string {
  if (!findingId || !FINDING_ID.test(findingId)) throw invalidParameter('finding_id', 'must be 32 hexadecimal digits');
  return findingId;
}

function oneOf(name: string, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) throw invalidParameter(name, `must be one of ${allowed.join(', ')}`);
  return value;
}

/** `GET /v2/{project_id}/findings`: one page of the project's findings, filtered, with a next link when more follow. */
export async function listFindings(
  deps: FindingsDeps,
  request: {
    projectId: string | undefined;
    params: Iterable<readonly [string, string]>;
    selfUrl: string;
    deadline: number;
  },
) {
  const projectId = checkProject(deps, request.projectId);
  const filters: ListFilters = {};
  let limit = 100;
  let marker: string | undefined;
  const kept: Array<[string, string]> = [];
  for (const [name, value] of onlyKnownParams(request.params, LIST_KEYS)) {
    if (name === 'state') filters.state = oneOf(name, value, FINDING_STATES) as ListFilters['state'];
    else if (name === 'severity') filters.severity = oneOf(name, value, ['high', 'medium', 'low']);
    else if (name === 'finding_type') filters.finding_type = oneOf(name, value, FINDING_TYPES);
    else if (name === 'snapshot_id') {
      if (!UUID.test(value)) throw invalidParameter(name, 'must be a UUID');
      filters.snapshot_id = value;
    } else if (name === 'limit') {
      if (!/^\d+$/.test(value) || Number(value) < 1)
        throw invalidParameter(name, 'must be an integer of at least 1 (an answer holds at most 1000 findings)');
      limit = Math.min(1000, Number(value));
    } else if (name === 'marker') {
      marker = checkFindingId(value);
      continue;
    }
    kept.push([name, value]);
  }
  const page = await deps.store.listFindings(projectId, filters, limit, marker, request.deadline);
  const last = page.items[page.items.length - 1];
  const next =
    page.more && last
      ? `${request.selfUrl}?${new URLSearchParams([...kept, ['marker', last.findingId]]).toString()}`
      : undefined;
  return { findings: page.items.map(presentFinding), findings_links: next ? [{ rel: 'next', href: next }] : null };
}

/** Checks a suppression body: the schema, then the dates. */
export function parseSuppression(body: unknown, now: number): { until: string; reason: string } {
  if (!validateBody(body)) {
    const e = compiled?.errors?.[0];
    const where = e?.instancePath
      ? e.instancePath.slice(1)
      : e?.params && 'missingProperty' in e.params
        ? String(e.params.missingProperty)
        : e?.params && 'additionalProperty' in e.params
          ? String(e.params.additionalProperty)
          : 'body';
    throw new RequestError('invalid', 'INVALID_BODY', `Invalid suppression: "${where}" ${e?.message ?? 'is invalid'}.`);
  }
  const until = Date.parse(body.until);
  if (!/(Z|[+-]\d{2}:\d{2})$/i.test(body.until))
    throw new RequestError(
      'invalid',
      'INVALID_BODY',
      'Invalid suppression: "until" must carry a time zone (Z or ±hh:mm).',
    );
  // The schema's date-time accepts a leap second (23:59:60), which Date.parse cannot read.
  if (!Number.isFinite(until))
    throw new RequestError(
      'invalid',
      'INVALID_BODY',
      'Invalid suppression: "until" is not a time this service can read (a leap second, say); use another.',
    );
  if (until <= now) throw new RequestError('invalid', 'INVALID_BODY', 'Invalid suppression: "until" is in the past.');
  if (until - now > YEAR_MS)
    throw new RequestError('invalid', 'INVALID_BODY', 'Invalid suppression: "until" is more than a year ahead.');
  return { until: new Date(until).toISOString(), reason: body.reason };
}

/** `POST .../suppression`: no events for this finding until `until`. */
export async function suppressFinding(
  deps: FindingsDeps,
  request: {
    projectId: string | undefined;
    findingId: string | undefined;
    body: unknown;
    caller: string;
    deadline: number;
  },
) {
  const projectId = checkProject(deps, request.projectId);
  const findingId = checkFindingId(request.findingId);
  const now = (deps.now ?? Date.now)();
  const s = parseSuppression(request.body, now);
  const done = await deps.store.suppress(
    projectId,
    findingId,
    { ...s, by: request.caller, at: new Date(now).toISOString() },
    request.deadline,
  );
  return answerFor(deps, projectId, findingId, done, request.deadline, 'resolved findings cannot be suppressed');
}

/** `DELETE .../suppression`: announces the finding again from the next scan on. */
export async function liftSuppression(
  deps: FindingsDeps,
  request: { projectId: string | undefined; findingId: string | undefined; deadline: number },
) {
  const projectId = checkProject(deps, request.projectId);
  const findingId = checkFindingId(request.findingId);
  const done = await deps.store.unsuppress(projectId, findingId, request.deadline);
  return answerFor(deps, projectId, findingId, done, request.deadline, 'the finding is not suppressed');
}

async function answerFor(
  deps: FindingsDeps,
  projectId: string,
  findingId: string,
  done: boolean,
  deadline: number,
  conflict: string,
) {
  const item = await deps.store.getFinding(projectId, findingId, deadline);
  if (!item)
    throw new RequestError(
      'not-found',
      'FINDING_NOT_FOUND',
      `Finding ${findingId} is not known in project ${projectId}.`,
    );
  if (!done)
    throw new RequestError('conflict', 'FINDING_STATE_CONFLICT', `Finding ${findingId} is ${item.state}: ${conflict}.`);
  return { finding: presentFinding(item) };
}
