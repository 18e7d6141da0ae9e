/**
 * Approving a marked finding's deletion over the findings API (docs/cleanup.md):
 * `POST /v2/{project_id}/findings/{finding_id}/approval` approves, `DELETE` withdraws, and
 * `POST /v2/{project_id}/findings/approval?rule=NAME` approves every marked, open finding of a
 * rule in the project. The approver is the caller's IAM identity. Each is an audit item and an
 * `EVS Snapshot Cleanup` event.
 */
import { createHash } from 'node:crypto';
import type { CleanupFields } from '../cleanup/decide';
import type { CleanupStore } from '../cleanup/store';
import { RequestError } from '../core/errors';
import {
  type CleanupAction,
  cleanupEvent,
  type OutboundEvent,
  SCHEMA_VERSION,
  type SnapshotFields,
} from '../events/contract';
import { allowedProject, invalidParameter, onlyKnownParams } from '../http/query';

const FINDING_ID = /^[0-9a-f]{32}$/;
const RULE = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Bulk approvals per call: a larger set is approved over several calls. */
const MAX_BULK = 500;

export interface ApprovalDeps {
  cleanup: CleanupStore;
  allowedProjects: readonly string[] | '*';
  /** Sends the audit event; none configured: the audit item alone. */
  publish?: (event: OutboundEvent) => Promise<void>;
  source: string;
  region: string;
  now?: () => number;
}

interface ApprovalRequest {
  projectId: string | undefined;
  findingId: string | undefined;
  caller: string;
  deadline: number;
}

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

function checkFindingId(findingId: string | undefined): string {
  if (!findingId || !FINDING_ID.test(findingId)) throw invalidParameter('finding_id', 'must be 32 hexadecimal digits');
  return findingId;
}

/** A finding's cleanup state as the API shows it. */
export function presentCleanup(item: CleanupFields) {
  return {
    id: item.findingId,
    project_id: item.projectId,
    snapshot_id: item.snapshotId ?? null,
    rule: item.rule ?? null,
    state: item.state,
    delete_after: item.cleanupDeleteAfter ?? null,
    approved_by: item.cleanupApprovedBy ?? null,
    approved_at: item.cleanupApprovedAt ?? null,
    stopped_at: item.cleanupStoppedAt ?? null,
    removed_at: item.cleanupRemovedAt ?? null,
  };
}

async function audit(
  deps: ApprovalDeps,
  action: CleanupAction,
  item: CleanupFields & { snapshot?: SnapshotFields | null },
  by: string,
  at: string,
  deadline: number,
): Promise<void> {
  const detail = {
    schemaVersion: SCHEMA_VERSION,
    auditId: hash(item.projectId, item.findingId, action, at),
    action,
    at,
    projectId: item.projectId,
    region: deps.region,
    target: '',
    runId: null,
    findingId: item.findingId,
    rule: item.rule ?? null,
    snapshot: item.snapshot ?? null,
    deleteAfter: item.cleanupDeleteAfter ?? null,
    approvedBy: by,
    owner: null,
    reason:
      action === 'APPROVED'
        ? `Deletion approved by ${by}.`
        : `Approval withdrawn by ${by}: the snapshot is not deleted unless approved again.`,
  } as const;
  await deps.cleanup.audit(detail, deadline);
  await deps.publish?.(cleanupEvent(deps.source, detail));
}

async function conflict(
  deps: ApprovalDeps,
  projectId: string,
  findingId: string,
  deadline: number,
  why: (item: CleanupFields) => string,
): Promise<never> {
  const item = await deps.cleanup.read(projectId, findingId, deadline);
  if (!item)
    throw new RequestError(
      'not-found',
      'FINDING_NOT_FOUND',
      `Finding ${findingId} is not known in project ${projectId}.`,
    );
  throw new RequestError('conflict', 'FINDING_STATE_CONFLICT', `Finding ${findingId} ${why(item)}.`);
}

/** `POST .../findings/{finding_id}/approval`: the marked snapshot may be deleted once its grace period is over. */
export async function approveFinding(deps: ApprovalDeps, request: ApprovalRequest) {
  const projectId = allowedProject(deps.allowedProjects, request.projectId);
  const findingId = checkFindingId(request.findingId);
  const at = new Date((deps.now ?? Date.now)()).toISOString();
  if (!(await deps.cleanup.approve(projectId, findingId, request.caller, at, request.deadline))) {
    await conflict(deps, projectId, findingId, request.deadline, (item) =>
      item.cleanupRemovedAt
        ? 'was already cleaned up'
        : item.cleanupStoppedAt
          ? 'had its mark removed from the snapshot: cleanup leaves it alone'
          : item.cleanupDeleteAfter === undefined
            ? 'is not marked for cleanup'
            : `is ${item.state}: only open findings are approved`,
    );
  }
  const item = (await deps.cleanup.read(projectId, findingId, request.deadline)) as CleanupFields;
  await audit(deps, 'APPROVED', item, request.caller, at, request.deadline);
  return { approval: presentCleanup(item) };
}

/** `DELETE .../findings/{finding_id}/approval`: withdraws the approval. */
export async function withdrawApproval(deps: ApprovalDeps, request: ApprovalRequest) {
  const projectId = allowedProject(deps.allowedProjects, request.projectId);
  const findingId = checkFindingId(request.findingId);
  const at = new Date((deps.now ?? Date.now)()).toISOString();
  if (!(await deps.cleanup.withdraw(projectId, findingId, request.deadline)))
    await conflict(deps, projectId, findingId, request.deadline, (item) =>
      item.cleanupRemovedAt ? 'was already cleaned up' : 'is not approved',
    );
  const item = (await deps.cleanup.read(projectId, findingId, request.deadline)) as CleanupFields;
  await audit(deps, 'APPROVAL_WITHDRAWN', item, request.caller, at, request.deadline);
  return { approval: presentCleanup(item) };
}

/** `POST /v2/{project_id}/findings/approval?rule=NAME`: approves every marked, open, unapproved finding of the rule. */
export async function approveRule(
  deps: ApprovalDeps,
  request: Omit<ApprovalRequest, 'findingId'> & { params: Iterable<readonly [string, string]> },
) {
  const projectId = allowedProject(deps.allowedProjects, request.projectId);
  let rule: string | undefined;
  for (const [name, value] of onlyKnownParams(request.params, ['rule'])) if (name === 'rule') rule = value;
  if (!rule || !RULE.test(rule))
    throw invalidParameter('rule', 'must name a policy rule (lower-case letters, digits and dashes)');
  const at = new Date((deps.now ?? Date.now)()).toISOString();
  const pending = (await deps.cleanup.candidates(projectId, new Set([rule]), request.deadline)).filter(
    (i) => i.state === 'OPEN' && i.cleanupDeleteAfter !== undefined && !i.cleanupApprovedBy,
  );
  const approved: string[] = [];
  for (const item of pending.slice(0, MAX_BULK)) {
    if (!(await deps.cleanup.approve(projectId, item.findingId, request.caller, at, request.deadline))) continue;
    await audit(deps, 'APPROVED', { ...item, cleanupApprovedBy: request.caller }, request.caller, at, request.deadline);
    approved.push(item.findingId);
  }
  return { rule, approved, more: pending.length > MAX_BULK };
}
