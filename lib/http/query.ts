import { RequestError } from '../core/errors';
import { isProjectId, PROJECT_ID_RULE } from '../domain/project';

/** A request parameter broke a rule of the API; the message names both. */
export function invalidParameter(name: string, rule: string): RequestError {
  return new RequestError('invalid', 'INVALID_PARAMETER', `Invalid parameter "${name}": ${rule}.`);
}

/**
 * The parameters of a query, each checked to be one of `allowed` and given at most once: the
 * same refusals (400 UNKNOWN_PARAMETER, REPEATED_PARAMETER) for every route that takes a query.
 */
export function* onlyKnownParams(
  params: Iterable<readonly [string, string]>,
  allowed: readonly string[],
): Generator<readonly [string, string]> {
  const seen = new Set<string>();
  for (const entry of params) {
    const name = entry[0];
    if (!allowed.includes(name)) {
      throw new RequestError(
        'invalid',
        'UNKNOWN_PARAMETER',
        `Unknown parameter "${name.slice(0, 64)}": only ${allowed.join(', ')} are accepted.`,
      );
    }
    if (seen.has(name))
      throw new RequestError('invalid', 'REPEATED_PARAMETER', `Parameter "${name}" is given more than once.`);
    seen.add(name);
    yield entry;
  }
}

/** Validates the project id from the path with the same rule configuration uses. */
export function validateProjectId(projectId: string | undefined): string {
  if (!isProjectId(projectId)) throw invalidParameter('project_id', PROJECT_ID_RULE);
  return projectId;
}

/** A valid project id from the path that the allow-list lets callers read, else 400 / 403. */
export function allowedProject(allowed: readonly string[] | '*', projectId: string | undefined): string {
  const id = validateProjectId(projectId);
  if (allowed !== '*' && !allowed.includes(id))
    throw new RequestError('forbidden', 'PROJECT_NOT_ALLOWED', `Project ${id} is not served by this proxy.`);
  return id;
}
