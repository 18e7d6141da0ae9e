import type { Classification } from '../domain/finding';
import { type Snapshot, snapshotCoreOf } from '../domain/snapshot';
import {
  findingEvent,
  findingIdOf,
  findingIdOfVolume,
  type OutboundEvent,
  type ScanContext,
  type TransitionCounts,
  type TransitionInfo,
  transitionIdOf,
  type VolumeFields,
  volumeFindingEvent,
} from '../events/contract';

export type { TransitionCounts } from '../events/contract';

import { decideSeen, type LifecycleSettings, unseenOpen } from '../state/lifecycle';
import type { FindingIndex, FindingItem, StoredSnapshot } from '../state/records';
import type { ItemUpdate, ScanFindingStore } from '../state/store';

/** An event to publish and what to do once PutEvents accepted it. */
export interface Announcement {
  event: OutboundEvent;
  onDelivered: () => void;
}

/** Turns a project's findings into events: transitions against the table, or plain observations without one. */
export interface FindingTracker {
  readonly stateful: boolean;
  readonly counts: TransitionCounts;
  /** The opening stamp new findings are announced under (stateful trackers). */
  readonly openingStamp?: string;
  /** The announcement for a finding this scan saw, or undefined when nothing is to be said. */
  seen(snapshot: Snapshot, c: Classification, observedAt: number): Announcement | undefined;
  /** A listed snapshot this scan could not judge: whatever finding it has is kept as it is, not resolved. */
  keep(snapshotId: string): void;
  /** The same for a finding about a volume (UNPROTECTED_VOLUME). */
  seenVolume(volume: VolumeFields, c: Classification, observedAt: number): Announcement | undefined;
  /** After a complete listing: the findings the table holds open that the scan did not see. */
  resolutions(now: number, deadline: number): Promise<Announcement[]>;
  /** Waits for every state write of announced transitions; rejects with StateUnavailableError. */
  flush(): Promise<void>;
}

const zero = (): TransitionCounts => ({ opened: 0, changed: 0, reminded: 0, resolved: 0, open: 0, suppressed: 0 });
const iso = (ms: number) => new Date(ms).toISOString();
const minutesBetween = (from: number, to: number) => Math.max(0, Math.floor((to - from) / 60_000));

/** Without a findings table: every finding is reported every run, as `OBSERVED`. */
export function statelessTracker(ctx: ScanContext): FindingTracker {
  const counts = zero();
  const observed = (
    findingId: string,
    observedAt: number,
    build: (t: TransitionInfo) => OutboundEvent,
  ): Announcement => {
    counts.open++;
    return {
      event: build({
        transition: 'OBSERVED',
        transitionId: transitionIdOf(findingId, 'OBSERVED', ctx.scanId),
        firstSeenAt: null,
        lastSeenAt: iso(observedAt),
      }),
      onDelivered: () => undefined,
    };
  };
  return {
    stateful: false,
    counts,
    seen(snapshot, c, observedAt) {
      const findingId = findingIdOf(ctx.projectId, snapshot.id);
      return observed(findingId, observedAt, (t) => findingEvent(ctx, snapshot, c, new Date(observedAt), t, findingId));
    },
    seenVolume(volume, c, observedAt) {
      const findingId = findingIdOfVolume(ctx.projectId, volume.id);
      return observed(findingId, observedAt, (t) =>
        volumeFindingEvent(ctx, volume, c, new Date(observedAt), t, findingId),
      );
    },
    keep() {},
    async resolutions() {
      return [];
    },
    async flush() {},
  };
}

/** The snapshot a RESOLVED event names, from what its item kept. */
function resolvedSnapshot(item: FindingItem): Snapshot {
  const kept = item.snapshot ?? {
    id: item.snapshotId ?? '',
    name: null,
    status: '',
    volume_id: '',
    size: 0,
    created_at: '',
    updated_at: null,
  };
  return { ...kept, description: null, metadata: {} };
}

export interface StatefulTrackerOptions {
  ctx: ScanContext;
  store: ScanFindingStore;
  index: FindingIndex;
  lifecycle: LifecycleSettings;
  resolvedRetentionMs: number;
  /** Epoch ms by which state writes must be done. */
  deadline: number;
  /** Read state, write none (npm run scan -- --dry-run). */
  dryRun: boolean;
  /** Item updates in flight at once. */
  writeConcurrency?: number;
  /** The project's opening stamp (ScanFindingStore.beginOpenings), already on the table. */
  openingStamp: string;
}

/**
 * Decides each finding's transition from the table and, once its event was accepted, records it:
 * new findings as whole items (BatchWriteItem, 25 per call), transitions of existing ones as
 * conditional updates. Publishing first and writing after means a failed publish leaves the table
 * as it was, so the next run announces the same transition again, with the same transitionId.
 */
export function statefulTracker(options: StatefulTrackerOptions): FindingTracker {
  const { ctx, store, index, lifecycle } = options;
  const counts = zero();
  const maxInFlight = options.writeConcurrency ?? 8;
  let puts: FindingItem[] = [];
  let writeError: unknown;
  // Writes run at most `maxInFlight` at a time, in the order their events were delivered.
  const queue: Array<() => Promise<unknown>> = [];
  let active = 0;
  let idle: (() => void) | undefined;
  const pump = () => {
    while (active < maxInFlight && queue.length > 0) {
      const task = queue.shift() as () => Promise<unknown>;
      active++;
      task()
        .catch((error) => {
          writeError ??= error;
        })
        .finally(() => {
          active--;
          pump();
          if (active === 0 && queue.length === 0) idle?.();
        });
    }
  };
  const enqueue = (task: () => Promise<unknown>) => {
    queue.push(task);
    pump();
  };
  const flushPuts = () => {
    if (puts.length === 0) return;
    const batch = puts;
    puts = [];
    enqueue(() => store.putItems(batch, options.deadline));
  };
  const writeUpdate = (update: ItemUpdate) => enqueue(() => store.updateItem(update, options.deadline));

  /** Decides a seen finding's transition and, once its event is delivered, records it (a snapshot's or a volume's alike). */
  const announce = (
    findingId: string,
    c: Classification,
    observedAt: number,
    build: (t: TransitionInfo) => OutboundEvent,
    subject: Pick<FindingItem, 'snapshotId' | 'snapshot' | 'volumeId' | 'volume'>,
    updated: { snapshot?: StoredSnapshot; volume?: VolumeFields },
  ): Announcement | undefined => {
    const position = index.positionOf(findingId);
    if (position !== undefined) index.seen[position] = 1;
    const decision = decideSeen(index, position, c, observedAt, lifecycle, options.openingStamp);
    if (decision.kind === 'quiet') {
      if (decision.suppressed) counts.suppressed++;
      else counts.open++;
      return undefined;
    }
    counts.open++;
    const at = iso(observedAt);
    const event = build({
      transition: decision.transition,
      transitionId: transitionIdOf(findingId, decision.transition, decision.basis),
      firstSeenAt: iso(decision.firstSeenAt),
      lastSeenAt: at,
      ...(decision.previous ? { previous: decision.previous } : {}),
    });
    const onDelivered = () => {
      if (decision.transition === 'OPENED') counts.opened++;
      else if (decision.transition === 'CHANGED') counts.changed++;
      else counts.reminded++;
      if (options.dryRun) return;
      if (decision.transition === 'OPENED') {
        puts.push({
          projectId: ctx.projectId,
          findingId,
          ...subject,
          findingType: c.type,
          severity: c.severity,
          state: 'OPEN',
          reason: c.reason,
          rule: c.rule,
          firstSeenAt: at,
          lastSeenAt: at,
          lastNotifiedAt: at,
          runsSeen: 1,
        });
        if (puts.length >= 25) flushPuts();
      } else {
        writeUpdate({
          kind: 'renotified',
          projectId: ctx.projectId,
          findingId,
          findingType: c.type,
          severity: c.severity,
          rule: c.rule,
          reason: c.reason,
          ...updated,
          at,
          liftSuppression: position !== undefined && index.stateAt(position) === 'SUPPRESSED',
        });
      }
    };
    return { event, onDelivered };
  };

  return {
    stateful: true,
    counts,
    openingStamp: options.openingStamp,
    seen(snapshot, c, observedAt) {
      const findingId = findingIdOf(ctx.projectId, snapshot.id);
      const stored = snapshotCoreOf(snapshot);
      return announce(
        findingId,
        c,
        observedAt,
        (t) => findingEvent(ctx, snapshot, c, new Date(observedAt), t, findingId),
        { snapshotId: snapshot.id, snapshot: stored },
        { snapshot: stored },
      );
    },

    seenVolume(volume, c, observedAt) {
      const findingId = findingIdOfVolume(ctx.projectId, volume.id);
      const stored = {
        id: volume.id,
        name: volume.name,
        status: volume.status,
        size: volume.size,
        created_at: volume.created_at,
      };
      return announce(
        findingId,
        c,
        observedAt,
        (t) => volumeFindingEvent(ctx, volume, c, new Date(observedAt), t, findingId),
        { volumeId: volume.id, volume: stored },
        { volume: stored },
      );
    },

    keep(snapshotId) {
      const position = index.positionOf(findingIdOf(ctx.projectId, snapshotId));
      if (position !== undefined) index.seen[position] = 1;
    },

    async resolutions(now, deadline) {
      const positions = unseenOpen(index);
      if (positions.length === 0) return [];
      const wanted = new Set(positions.map((i) => index.idAt(i)));
      const items = await store.readItems(ctx.projectId, wanted, deadline);
      const at = iso(now);
      const out: Announcement[] = [];
      for (const item of items) {
        const record: ItemUpdate = {
          kind: 'resolved',
          projectId: ctx.projectId,
          findingId: item.findingId,
          at,
          expiresAt: Math.ceil((now + options.resolvedRetentionMs) / 1000),
        };
        const write = () => {
          if (!options.dryRun) writeUpdate(record);
        };
        // A suppressed finding that went away is resolved without a word: it was asked to be quiet.
        if (item.state === 'SUPPRESSED') {
          write();
          continue;
        }
        const firstSeen = Date.parse(item.firstSeenAt);
        const c: Classification = {
          type: item.findingType,
          severity: item.severity,
          rule: item.rule ?? '',
          reason: `No longer seen by a complete scan; it was: ${item.reason}`,
          thresholdMinutes: null,
          ageMinutes: null,
          measuredFrom: 'created_at',
        };
        const t: TransitionInfo = {
          transition: 'RESOLVED',
          transitionId: transitionIdOf(item.findingId, 'RESOLVED', item.firstSeenAt),
          firstSeenAt: item.firstSeenAt,
          lastSeenAt: item.lastSeenAt,
          openForMinutes: minutesBetween(firstSeen, now),
        };
        const event = item.volume
          ? volumeFindingEvent(ctx, item.volume, c, new Date(now), t, item.findingId)
          : findingEvent(ctx, resolvedSnapshot(item), c, new Date(now), t, item.findingId);
        out.push({
          event,
          onDelivered: () => {
            counts.resolved++;
            write();
          },
        });
      }
      return out;
    },

    async flush() {
      flushPuts();
      if (active > 0 || queue.length > 0) await new Promise<void>((resolve) => (idle = resolve));
      if (writeError) throw writeError;
    },
  };
}
