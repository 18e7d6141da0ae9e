import type { Failure } from '../domain/failure';
import type { Classification } from '../domain/finding';
import type { Snapshot } from '../domain/snapshot';
import { readTimes } from '../domain/times';
import type { OutboundEvent } from '../events/contract';
import { excessClassification, unprotectedClassification } from '../policy/policy';
import { paginateSnapshots } from '../upstream/pager';
import type { Ranking } from './judge-listing';
import type { VolumeListing } from './open-project';
import { countFinding, failureOf, type ProjectScan } from './project-scan';
import type { FindingTracker } from './tracker';

/**
 * What needs the whole listing, once it ran to its end: the retention ranking of volumes listed
 * out of order, and volumes with no recent snapshot. Returns why it could not be decided, or
 * undefined.
 */
export async function judgeWholeListing(
  scan: ProjectScan,
  tracker: FindingTracker,
  listing: VolumeListing,
  ranking: Ranking | undefined,
): Promise<Failure | undefined> {
  const { unit, settings, sink, listDeadline, tally } = scan;
  try {
    const decidedAt = scan.now();
    const announce = async (
      verdict: Classification,
      size: number,
      a: { event: OutboundEvent; onDelivered: () => void } | undefined,
    ) => {
      countFinding(tally, verdict);
      // The report and the summary's by-type sums add up snapshots; volumes are counted in unprotectedVolumes.
      if (verdict.type !== 'UNPROTECTED_VOLUME') tally.stats.addFinding(verdict.type, size);
      tally.rules.flagged(verdict.rule, size);
      if (a) await sink.add(a.event, a.onDelivered);
    };
    if (ranking) {
      // Volumes listed out of created_at order (rare: Cinder lists newest first) are listed again, each by itself, and ranked whole.
      const judged = { now: decidedAt, volumes: listing.volumes };
      for (const volumeId of ranking.ledger.disorderedVolumeIds()) {
        const ranked: Array<{ snapshot: Snapshot; createdMs: number }> = [];
        for await (const page of paginateSnapshots(
          unit.lister,
          unit.projectId,
          { volume_id: volumeId },
          { pageSize: settings.pageSize, maxPages: settings.maxPages, deadline: listDeadline },
        )) {
          for (const s of page.snapshots) {
            const times = readTimes(s);
            if (s.volume_id === volumeId && ranking.rule.ranks(s, times, judged) === true)
              ranked.push({ snapshot: s, createdMs: times.created });
          }
        }
        for (const late of ranking.ledger.decide(volumeId, ranked)) {
          const verdict = excessClassification(
            ranking.rule,
            late.snapshot,
            ranked.find((r) => r.snapshot === late.snapshot)?.createdMs ?? Number.NaN,
            late.rank,
            decidedAt,
          );
          await announce(verdict, late.snapshot.size, tracker.seen(late.snapshot, verdict, decidedAt));
        }
      }
    }
    if (listing.coverage) {
      tally.unprotectedVolumes = 0;
      for (const u of listing.coverage.unprotected(decidedAt)) {
        tally.unprotectedVolumes++;
        const verdict = unprotectedClassification(u.rule, u.volume, u.newestMs, decidedAt);
        await announce(verdict, u.volume.size, tracker.seenVolume(u.volume, verdict, decidedAt));
      }
    }
    return undefined;
  } catch (error) {
    return failureOf(scan, error);
  }
}
