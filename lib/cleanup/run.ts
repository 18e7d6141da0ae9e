/**
 * One cleanup pass over some projects, after a scan has brought the findings table up to date:
 * marks the snapshots of cleanup rules' new findings, then deletes those that are due, each
 * re-read and re-checked just before its DELETE and read back after it. Only the remediation
 * function (and `npm run cleanup`) runs it, with credentials that may delete.
 */
import { createHash } from 'node:crypto';
import { ownerOf } from '../domain/owner';
import type { Snapshot } from '../domain/snapshot';
import {
  type CleanupAction,
  type CleanupDetail,
  type CleanupRefusal,
  cleanupEvent,
  snapshotFields,
} from '../events/contract';
import type { CleanupTerms, JudgeContext, Policy } from '../policy/policy';
import type { EventSink } from '../scan/run-scan';
import { VolumeSet } from '../scan/volume-set';
import type { SnapshotLister, SnapshotRemediator, VolumeLister } from '../upstream/client';
import { describeFailure, UpstreamHttpError } from '../upstream/errors';
import { paginateSnapshots, paginateVolumes } from '../upstream/pager';
import {
  type CleanupCaps,
  type CleanupFields,
  checkDeletion,
  exceededCaps,
  formatMark,
  MARK_KEY,
  markNotice,
  readiness,
} from './decide';
import type { CleanupStore } from './store';

export interface CleanupUnit {
  target: string;
  region: string;
  projectId: string;
  client: SnapshotLister & VolumeLister & SnapshotRemediator;
}

export interface CleanupDeps {
  store: CleanupStore;
  /** Where the audit events go (EventBridge, or the dry-run printer). */
  createSink: (deadline: number) => EventSink;
  now?: () => number;
  /** Told once per project whose deletions a cap held back (the alarm's metric). */
  onBrake?: (projectId: string, limits: string[]) => void;
  /** Each action planned or taken, in words (`--dry-run` prints them). */
  onAction?: (line: string) => void;
  /** Findings a dry-run scan would have opened (it writes none to the table), planned as if it had. */
  unrecorded?: (projectId: string) => readonly CleanupFields[];
}

export interface CleanupSettings {
  runId: string;
  units: readonly CleanupUnit[];
  policy: Policy;
  source: string;
  caps: CleanupCaps;
  /** The global switch: false holds every deletion (marks still go on). */
  deletionsAllowed: boolean;
  /** Plan and print, change nothing: no mark, no delete, no table write, no event. */
  dryRun: boolean;
  pageSize: number;
  maxPages: number;
  deadline: number;
}

export interface ProjectCleanup {
  target: string;
  projectId: string;
  snapshots: number;
  marked: number;
  deleted: number;
  refused: number;
  failed: number;
  waiting: number;
  braked: boolean;
  /** The project could not be worked on (listing or table failed): nothing was deleted. */
  error?: string;
}

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

/** Runs the cleanup over every unit, one project at a time (deletions are few and deliberate). */
export async function runCleanup(deps: CleanupDeps, settings: CleanupSettings): Promise<ProjectCleanup[]> {
  const results: ProjectCleanup[] = [];
  for (const unit of settings.units) results.push(await cleanProject(deps, settings, unit));
  return results;
}

async function cleanProject(deps: CleanupDeps, settings: CleanupSettings, unit: CleanupUnit): Promise<ProjectCleanup> {
  const now = deps.now ?? Date.now;
  const { projectId, client } = unit;
  const result: ProjectCleanup = {
    target: unit.target,
    projectId,
    snapshots: 0,
    marked: 0,
    deleted: 0,
    refused: 0,
    failed: 0,
    waiting: 0,
    braked: false,
  };
  const policy = settings.policy.forProject(unit.target, projectId);
  if (policy.cleanup.size === 0) return result;
  const say = (line: string) => deps.onAction?.(`${settings.dryRun ? '[dry run] ' : ''}${projectId}: ${line}`);
  const sink = settings.dryRun ? undefined : deps.createSink(settings.deadline);
  const deadline = settings.deadline;

  /** The audit item, then the event: every mark, approval, deletion, refusal and brake is both. */
  const record = async (
    action: CleanupAction,
    fields: Partial<Omit<CleanupDetail, 'schemaVersion' | 'action'>> & { reason: string },
    basis: string,
  ) => {
    const at = new Date(now()).toISOString();
    const snapshot = fields.snapshot ?? null;
    const detail: CleanupDetail = {
      schemaVersion: '2.3',
      auditId: hash(settings.runId, projectId, action, basis),
      action,
      at,
      projectId,
      region: unit.region,
      target: unit.target,
      runId: settings.runId,
      findingId: fields.findingId ?? null,
      rule: fields.rule ?? null,
      snapshot,
      deleteAfter: fields.deleteAfter ?? null,
      approvedBy: fields.approvedBy ?? null,
      owner: fields.owner ?? null,
      reason: fields.reason,
      ...(fields.refusal ? { refusal: fields.refusal } : {}),
      ...(fields.upstreamStatus !== undefined ? { upstreamStatus: fields.upstreamStatus } : {}),
      ...(fields.upstreamRequestId !== undefined ? { upstreamRequestId: fields.upstreamRequestId } : {}),
      ...(fields.brake ? { brake: fields.brake } : {}),
    };
    say(
      `${action}${fields.refusal ? ` (${fields.refusal})` : ''}${snapshot ? ` snapshot ${snapshot.id}` : ''}: ${fields.reason}`,
    );
    if (settings.dryRun || !sink) return;
    await deps.store.audit(detail, deadline);
    await sink.add(cleanupEvent(settings.source, detail));
  };

  try {
    const items = await deps.store.candidates(projectId, new Set(policy.cleanup.keys()), deadline);
    const known = new Set(items.map((i) => i.findingId));
    for (const extra of deps.unrecorded?.(projectId) ?? [])
      if (!known.has(extra.findingId) && policy.cleanup.has(extra.rule ?? '')) items.push(extra);
    // The listing: the project's size (for the share caps) and each candidate as it is now.
    const wanted = new Map(items.map((i) => [i.snapshotId as string, i]));
    const listed = new Map<string, Snapshot>();
    for await (const page of paginateSnapshots(
      client,
      projectId,
      {},
      { pageSize: settings.pageSize, maxPages: settings.maxPages, deadline },
    )) {
      for (const s of page.snapshots) {
        result.snapshots++;
        if (wanted.has(s.id)) listed.set(s.id, s);
      }
    }
    if (items.length === 0) return result;
    let volumes: VolumeSet | undefined;
    if (policy.needsVolumes) {
      volumes = new VolumeSet();
      for await (const page of paginateVolumes(client, projectId, {
        pageSize: settings.pageSize,
        maxPages: settings.maxPages,
        deadline,
      }))
        for (const v of page.items) volumes.add(v.id);
    }
    const ctx = (): JudgeContext => ({ now: now(), volumes });

    const due: Array<{ item: CleanupFields; terms: CleanupTerms; snapshot: Snapshot }> = [];
    for (const item of items) {
      const terms = policy.cleanup.get(item.rule as string) as CleanupTerms;
      const snapshot = listed.get(item.snapshotId as string);
      const owner = snapshot ? ownerOf(snapshot.metadata) : null;
      if (item.cleanupDeleteAfter === undefined) {
        // Marked only while it could be deleted: open, present, and passing every check but the mark itself.
        if (item.state !== 'OPEN' || !snapshot) continue;
        const check = checkDeletion(
          { ...item, cleanupDeleteAfter: '' },
          { ...snapshot, metadata: { ...snapshot.metadata, [MARK_KEY]: '' } },
          policy,
          ctx(),
        );
        if (!check.ok) {
          say(`not marking snapshot ${snapshot.id}: ${check.reason}`);
          continue;
        }
        const deleteAfter = formatMark(now() + terms.afterMinutes * 60_000);
        if (!settings.dryRun) {
          await client.setSnapshotMetadata(projectId, snapshot.id, { [MARK_KEY]: deleteAfter }, { deadline });
          if (
            !(await deps.store.recordMark(
              projectId,
              item.findingId,
              deleteAfter,
              new Date(now()).toISOString(),
              deadline,
            ))
          )
            continue;
        }
        result.marked++;
        await record(
          'MARKED',
          {
            findingId: item.findingId,
            rule: terms.rule,
            snapshot: snapshotFields({ ...snapshot, metadata: { ...snapshot.metadata, [MARK_KEY]: deleteAfter } }),
            deleteAfter,
            owner,
            reason: markNotice(snapshot, projectId, item.findingId, terms.rule, terms, deleteAfter),
          },
          item.findingId,
        );
        continue;
      }
      const ready = readiness(item, terms, now());
      if (!ready.due) {
        result.waiting++;
        say(`waiting: snapshot ${item.snapshotId} ${ready.reason}`);
        continue;
      }
      // A first check against the listing, so refusals are not counted against the caps.
      const check = checkDeletion(item, snapshot, policy, ctx());
      if (!check.ok) {
        await refuse(item, terms, snapshot, check.refusal, check.reason);
        continue;
      }
      due.push({ item, terms, snapshot: snapshot as Snapshot });
    }
    if (due.length === 0) return result;

    if (!settings.deletionsAllowed) {
      result.refused += due.length;
      await record(
        'REFUSED',
        {
          refusal: 'SWITCHED_OFF',
          reason: `${due.length} due deletion${due.length === 1 ? '' : 's'} held: the cleanup switch is off`,
        },
        'switch',
      );
      return result;
    }
    const since = `${new Date(now()).toISOString().slice(0, 10)}T00:00:00.000Z`;
    const deletedToday = (await deps.store.trail(projectId, since, deadline)).filter(
      (a) => a.action === 'DELETED',
    ).length;
    const limits = exceededCaps(due.length, result.snapshots, deletedToday, settings.caps);
    if (limits.length > 0) {
      result.braked = true;
      deps.onBrake?.(projectId, limits);
      await record(
        'BRAKE',
        {
          reason: `Nothing deleted in this project this run: ${limits.join('; ')}. Check the policy, then raise the caps or delete by hand.`,
          brake: { planned: due.length, snapshots: result.snapshots, deletedToday, limits },
        },
        'brake',
      );
      return result;
    }

    for (const { item, terms } of due) {
      const base = {
        findingId: item.findingId,
        rule: terms.rule,
        deleteAfter: item.cleanupDeleteAfter ?? null,
        approvedBy: item.cleanupApprovedBy ?? null,
      };
      // Re-read just before deleting: the listing may be minutes old.
      const current = await client.getSnapshot(projectId, item.snapshotId as string, { deadline });
      const recheck = checkDeletion(item, current, policy, ctx());
      if (!recheck.ok) {
        await refuse(item, terms, current, recheck.refusal, recheck.reason);
        continue;
      }
      const seen = snapshotFields(current as Snapshot);
      const owner = ownerOf(seen.metadata);
      const outcome = (action: CleanupAction, reason: string, extra: Partial<CleanupDetail> = {}) =>
        record(action, { ...base, snapshot: seen, owner, reason, ...extra }, item.findingId);
      if (settings.dryRun) {
        result.deleted++;
        say(
          `would delete snapshot ${seen.id} (${seen.size} GB, ${seen.status}) under rule ${terms.rule}: due since ${item.cleanupDeleteAfter}${item.cleanupApprovedBy ? `, approved by ${item.cleanupApprovedBy}` : ''}`,
        );
        continue;
      }
      try {
        await client.deleteSnapshot(projectId, seen.id, { deadline });
      } catch (error) {
        const f = describeFailure(error);
        result.failed++;
        await outcome('FAILED', `The upstream refused the delete: ${f.code}: ${f.message}`, {
          ...(error instanceof UpstreamHttpError ? { upstreamStatus: error.status } : {}),
          ...(f.upstreamRequestId ? { upstreamRequestId: f.upstreamRequestId } : {}),
        });
        continue;
      }
      // Recorded as removed only once the upstream shows it deleting or gone.
      const after = await client.getSnapshot(projectId, seen.id, { deadline }).catch(() => null);
      if (after === undefined || (after && (after.status === 'deleting' || after.status === 'deleted'))) {
        result.deleted++;
        await deps.store.recordRemoved(projectId, item.findingId, new Date(now()).toISOString(), deadline);
        await outcome(
          'DELETED',
          `Deleted under rule ${terms.rule} (${seen.size} GB); the upstream shows it ${after === undefined ? 'gone' : after.status}.`,
        );
      } else {
        result.failed++;
        await outcome(
          'FAILED',
          after === null
            ? 'The delete was accepted but the snapshot could not be read back: not confirmed.'
            : `The delete was accepted but the snapshot is still ${after.status}: not confirmed.`,
        );
      }
    }
  } catch (error) {
    const f = describeFailure(error);
    result.error = `${f.code}: ${f.message}`;
    say(`stopped: ${result.error}`);
  } finally {
    await sink?.flush();
  }
  return result;

  async function refuse(
    item: CleanupFields,
    terms: CleanupTerms,
    snapshot: Snapshot | undefined,
    refusal: CleanupRefusal,
    reason: string,
  ) {
    result.refused++;
    // A person removed the mark: that is how an owner says no, and it is final for this finding.
    if (refusal === 'MARK_CHANGED' && !settings.dryRun)
      await deps.store.recordStopped(projectId, item.findingId, new Date(now()).toISOString(), deadline);
    if (refusal === 'GONE' && !settings.dryRun)
      await deps.store.recordRemoved(projectId, item.findingId, new Date(now()).toISOString(), deadline);
    await record(
      'REFUSED',
      {
        findingId: item.findingId,
        rule: terms.rule,
        snapshot: snapshot ? snapshotFields(snapshot) : null,
        deleteAfter: item.cleanupDeleteAfter ?? null,
        approvedBy: item.cleanupApprovedBy ?? null,
        owner: snapshot ? ownerOf(snapshot.metadata) : null,
        refusal,
        reason: `Not deleted: ${reason}.`,
      },
      `${item.findingId}/${refusal}`,
    );
  }
}
