import type { Failure } from '../domain/failure';
import { malformedSnapshot } from '../domain/snapshot';
import { readTimes } from '../domain/times';
import { excessClassification, type ProjectPolicy, type RetentionRule, UNDETERMINED } from '../policy/policy';
import { RetentionLedger } from '../retention/ledger';
import { DeadlineExceededError } from '../upstream/errors';
import { paginateSnapshots } from '../upstream/pager';
import type { HeldLease } from './lease';
import type { VolumeListing } from './open-project';
import { countFinding, failureOf, type ProjectScan } from './project-scan';
import type { FindingTracker } from './tracker';
import { VolumeSet } from './volume-set';

/** The project's retention rule and the ledger that ranks each volume's snapshots as they are listed. */
export interface Ranking {
  rule: RetentionRule;
  ledger: RetentionLedger;
}

/** The ranking a project's retention rule needs, if it has one. */
export function rankingOf(policy: ProjectPolicy, startedAt: number): Ranking | undefined {
  const rule = policy.retention;
  return rule ? { rule, ledger: new RetentionLedger(rule.keep, startedAt, new VolumeSet()) } : undefined;
}

/**
 * Lists the project's snapshots page by page and judges each as it comes, announcing what the
 * tracker says is news. Returns why the listing did not run to its end, or undefined when it did.
 * Memory holds one page: what a snapshot adds to the tally is counted, not kept.
 */
export async function judgeListing(
  scan: ProjectScan,
  tracker: FindingTracker,
  lease: HeldLease | undefined,
  listing: VolumeListing,
  ranking: Ranking | undefined,
): Promise<Failure | undefined> {
  const { unit, settings, sink, now, listDeadline, policy, tally } = scan;
  const { volumes, coverage } = listing;
  try {
    const pages = paginateSnapshots(
      unit.lister,
      unit.projectId,
      {},
      { pageSize: settings.pageSize, maxPages: settings.maxPages, deadline: listDeadline, prefetch: true },
    );
    let kept = false;
    const onProtected = (rule: string) => {
      kept = true;
      tally.rules.kept(rule);
    };
    for await (const page of pages) {
      tally.pagesRead++;
      const observedAt = now();
      const ctx = { now: observedAt, volumes, onProtected };
      for (const snapshot of page.snapshots) {
        tally.snapshotsRead++;
        if (malformedSnapshot(snapshot) !== undefined) {
          // Reported, not judged; a finding it already has stays as it is (neither announced nor resolved).
          tally.malformedRows++;
          tracker.keep(snapshot.id);
          continue;
        }
        kept = false;
        const times = readTimes(snapshot);
        if (Number.isNaN(times.created)) tally.unreadableTimestamps++;
        let verdict = policy.judge(snapshot, times, ctx);
        coverage?.snapshotSeen(snapshot.volume_id, snapshot.status, times.created);
        if (ranking) {
          // Ranked after every other rule: a snapshot another rule flagged keeps that finding and its place.
          const ranked = ranking.rule.ranks(snapshot, times, ctx);
          if (ranked === true) {
            const rank = ranking.ledger.observe(snapshot, times.created, verdict !== undefined);
            if (rank > 0) verdict = excessClassification(ranking.rule, snapshot, times.created, rank, observedAt);
          } else if (ranked === UNDETERMINED && verdict === undefined) {
            verdict = UNDETERMINED;
          }
        }
        if (kept) tally.protectedSnapshots++;
        if (verdict === UNDETERMINED) {
          // Said nothing of rather than something wrong; the scan is reported incomplete.
          tally.undetermined++;
          tally.stats.add(snapshot, times, undefined);
          continue;
        }
        tally.stats.add(snapshot, times, verdict);
        if (!verdict) continue;
        countFinding(tally, verdict);
        tally.rules.flagged(verdict.rule, snapshot.size);
        const announcement = tracker.seen(snapshot, verdict, observedAt);
        if (announcement) await sink.add(announcement.event, announcement.onDelivered);
      }
      scan.deps.onProgress?.({
        projectId: unit.projectId,
        snapshotsRead: tally.snapshotsRead,
        pagesRead: tally.pagesRead,
      });
      if (Date.now() >= listDeadline) throw new DeadlineExceededError();
      lease?.check();
    }
    return undefined;
  } catch (error) {
    const failure = failureOf(scan, error);
    if (Date.now() >= listDeadline && failure.code !== 'UPSTREAM_AUTH_FAILED' && failure.code !== 'STATE_UNAVAILABLE') {
      return { code: 'DEADLINE_REACHED', message: 'The scan ran out of time before this project was finished.' };
    }
    return failure;
  }
}
