/**
 * The notifier: records each scanner event's notices for the routes that take them (once, keyed
 * by route and transitionId), makes one digest per route when its window closes, and delivers
 * each digest to each destination on its own, retrying what can be retried and dead-lettering
 * what cannot. Time, the store, rendering and sending are parameters: the same code runs in the
 * Lambda, in `npm start` and in tests with a clock that jumps.
 */

import { backoffDelay, type RetryOptions } from '../core/retry';
import { type CleanupDetail, DETAIL_TYPES, type FindingDetail } from '../events/contract';
import { describeError, type Logger } from '../observability/log';
import type { PriceList } from '../pricing/prices';
import { buildDigest, digestIdOf, healthKey, moneyOf } from './digest';
import type { DestinationKind, Digest, NoticeFinding, RenderedMessage, ScanHealthNotice } from './model';
import { cleanupNoticeOf, noticeOf, scanOutcomeOf } from './notice';
import { type Route, type Routes, routesFor, routesForCleanup, routesForHealth } from './routes';
import type { Send } from './send';
import type { DeliveryRecord, NotificationStore, StoredNotice } from './store';

/** One scanner event, as EventBridge delivers it (the notifier reads detail-type and detail). */
export interface ScannerEvent {
  'detail-type': string;
  detail: unknown;
}

/** What a delivery that gave up leaves in the dead-letter queue: enough to find and resend it, never the address. */
export interface DeadLetter {
  digestId: string;
  route: string;
  destination: string;
  kind: DestinationKind;
  attempts: number;
  firstDueAt: string;
  lastError: string;
  findings: number;
  health: number;
}

export type DeliveryMetric = 'NotificationsSent' | 'NotificationsFailed' | 'NotificationsDeferred';

export interface DeliveryPolicy extends RetryOptions {
  /** A delivery still failing this long after it was first due goes to the dead-letter queue. */
  maxAgeMs: number;
  /** Retries within one invocation only when the wait is at most this long; longer waits go to the next run. */
  maxInlineWaitMs: number;
}

export interface NotifierDeps {
  routes: Routes;
  store: NotificationStore;
  render: (kind: DestinationKind, digest: Digest) => RenderedMessage;
  send: Send;
  deadLetter: (letter: DeadLetter) => Promise<void>;
  count: (metric: DeliveryMetric, destination: string, kind: DestinationKind) => void;
  logger: Logger;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random?: () => number;
  policy: DeliveryPolicy;
  /** How long notices and delivery records are kept (TTL). */
  retentionMs: number;
  /**
   * Makes a fresh link to the latest fleet report (a presigned URL) for each digest; a fixed
   * `routes.links.report` wins. A link that cannot be made leaves the digest without one.
   */
  reportLink?: () => Promise<string>;
  /** The price list; with it each digest carries the monthly cost of its new findings. */
  prices?: PriceList;
  /** Called with each digest delivered (the local stack prints it). */
  onDelivered?: (digest: Digest, destination: string) => void;
}

export interface FlushResult {
  digests: number;
  sent: number;
  deferred: number;
  failed: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** When a notice recorded at `at` is due on a route: now for immediate routes, else when its window closes (windows are aligned to UTC). */
export function dueAtOf(route: Route, at: number): number {
  return route.delivery.mode === 'immediate'
    ? at
    : (Math.floor(at / route.delivery.windowMs) + 1) * route.delivery.windowMs;
}

export function createNotifier(deps: NotifierDeps) {
  const { routes, store, logger } = deps;
  const byName = new Map(routes.routes.map((r) => [r.name, r]));
  const random = deps.random ?? Math.random;

  const recordFor = async (targets: readonly Route[], key: string, item: StoredNotice, now: number) => {
    let recorded = 0;
    for (const route of targets)
      if (await store.record(route.name, key, item, dueAtOf(route, now), now + deps.retentionMs)) recorded++;
    return recorded;
  };

  async function ingestFinding(detail: FindingDetail, now: number): Promise<number> {
    const notice: NoticeFinding = noticeOf(detail, routes.ownerKey);
    let targets: Route[];
    if (notice.kind === 'resolved') {
      // RESOLVED goes where the finding's notices went (those routes that say resolved), whatever it matches now.
      const carried = (await store.carriedBy(notice.findingId))
        .map((n) => byName.get(n))
        .filter((r): r is Route => r !== undefined);
      targets =
        carried.length > 0
          ? carried.filter((r) => !r.match.transition || r.match.transition.includes('resolved'))
          : routesFor(routes.routes, notice);
      await store.markResolved(notice.findingId, notice.observedAt, now + deps.retentionMs);
    } else {
      targets = routesFor(routes.routes, notice);
      if (targets.length > 0)
        await store.carry(
          notice.findingId,
          targets.map((r) => r.name),
          now + deps.retentionMs,
        );
      // Every route that carried it counts it open at its latest severity, including routes it no longer matches.
      await store.markOpen(
        notice.findingId,
        await store.carriedBy(notice.findingId),
        notice.severity,
        notice.observedAt,
      );
    }
    return recordFor(targets, notice.transitionId, { type: 'finding', notice }, now);
  }

  async function ingestHealth(event: ScannerEvent, now: number): Promise<number> {
    const outcome = scanOutcomeOf(event['detail-type'], event.detail);
    if (!outcome) return 0;
    const project = `${outcome.target}#${outcome.region}#${outcome.projectId}`;
    const state = await store.healthOf(project);
    const where = {
      projectId: outcome.projectId,
      region: outcome.region,
      target: outcome.target,
      observedAt: outcome.observedAt,
    };
    let notice: ScanHealthNotice;
    if (outcome.failing && !state) {
      notice = {
        kind: 'failing',
        ...where,
        since: outcome.observedAt,
        ...(outcome.failureCode ? { failureCode: outcome.failureCode } : {}),
        ...(outcome.message ? { message: outcome.message } : {}),
      };
    } else if (!outcome.failing && state) {
      notice = { kind: 'recovered', ...where, since: state.failingSince };
    } else return 0;
    // The notice first, then the state: a retry after a crash in between finds the state unchanged and records the same key again (a no-op).
    const recorded = await recordFor(
      routesForHealth(routes.routes, notice),
      healthKey(notice),
      { type: 'health', notice },
      now,
    );
    if (notice.kind === 'failing')
      await store.markFailing(project, {
        failingSince: notice.since,
        ...(notice.failureCode ? { failureCode: notice.failureCode } : {}),
      });
    else await store.markRecovered(project, notice.since);
    return recorded;
  }

  /** A cleanup notice is recorded once per route under its key: a re-delivered event, or a brake tripped again the same day, adds nothing. */
  async function ingestCleanup(detail: CleanupDetail, now: number): Promise<number> {
    const notice = cleanupNoticeOf(detail, routes.ownerKey);
    if (!notice) return 0;
    return recordFor(routesForCleanup(routes.routes, notice), notice.key, { type: 'cleanup', notice }, now);
  }

  /** Records what a batch of scanner events means for each route; answers how many notices were new. */
  async function ingest(events: readonly ScannerEvent[]): Promise<number> {
    let recorded = 0;
    for (const event of events) {
      const now = deps.now();
      if (event['detail-type'] === DETAIL_TYPES.finding)
        recorded += await ingestFinding(event.detail as FindingDetail, now);
      else if (event['detail-type'] === DETAIL_TYPES.cleanup)
        recorded += await ingestCleanup(event.detail as CleanupDetail, now);
      else recorded += await ingestHealth(event, now);
    }
    return recorded;
  }

  /** Turns a route's due notices into digests with one pending delivery per destination. */
  async function closeWindows(route: Route, now: number): Promise<number> {
    const due = await store.dueRecords(route.name, now);
    if (due.length === 0) return 0;
    const groups = new Map<string, string[]>();
    const unclaimed: string[] = [];
    for (const r of due) {
      if (r.claim) groups.set(r.claim, [...(groups.get(r.claim) ?? []), r.key]);
      else unclaimed.push(r.key);
    }
    if (unclaimed.length > 0) {
      const id = digestIdOf(route.name, unclaimed);
      const claimed = await store.claim(route.name, unclaimed, id);
      if (claimed.length > 0) groups.set(id, [...(groups.get(id) ?? []), ...claimed]);
    }
    const from = Math.min(
      ...due.map((r) => r.dueAt - (route.delivery.mode === 'digest' ? route.delivery.windowMs : 0)),
    );
    const to = Math.max(...due.map((r) => r.dueAt));
    for (const [id, keys] of groups) {
      await store.saveDigest(
        { id, route: route.name, mode: route.delivery.mode, from: iso(from), to: iso(to) },
        route.destinations.map((d) => d.name),
        keys,
        now,
        now + deps.retentionMs,
      );
    }
    return groups.size;
  }

  const digests = new Map<string, Digest | undefined>();
  async function digestOf(id: string): Promise<Digest | undefined> {
    if (digests.has(id)) return digests.get(id);
    const saved = await store.digest(id);
    let digest: Digest | undefined;
    if (saved) {
      const findings = saved.items.flatMap((i) => (i.type === 'finding' ? [i.notice] : []));
      const health = saved.items.flatMap((i) => (i.type === 'health' ? [i.notice] : []));
      const cleanup = saved.items.flatMap((i) => (i.type === 'cleanup' ? [i.notice] : []));
      const projects = new Set(findings.map((f) => f.projectId));
      const [only] = [...projects];
      const report = routes.links.report ?? (await reportLinkOf(id));
      const links = {
        ...(report ? { report } : {}),
        ...(routes.links.findings && projects.size === 1 && only
          ? { findings: `${routes.links.findings.replace(/\/+$/, '')}/v2/${only}/findings?state=OPEN` }
          : {}),
      };
      const openTotals = await store.openTotals(saved.record.route);
      digest = {
        ...buildDigest({
          route: saved.record.route,
          mode: saved.record.mode,
          window: { from: saved.record.from, to: saved.record.to },
          findings,
          health,
          cleanup,
          openTotals,
          links,
        }),
        id,
      };
      const money = moneyOf(deps.prices, findings);
      if (money) digest.money = money;
    }
    digests.set(id, digest);
    return digest;
  }

  async function reportLinkOf(digestId: string): Promise<string | undefined> {
    if (!deps.reportLink) return undefined;
    try {
      return await deps.reportLink();
    } catch (error) {
      // The digest still goes out, without the link.
      logger.warn('could not make the report link; the digest goes without it', { digestId, ...describeError(error) });
      return undefined;
    }
  }

  /** One delivery: attempts while the waits are short and time remains, then settles it as sent, pending (with its next attempt) or dead. */
  async function deliver(d: DeliveryRecord, deadline: number, result: FlushResult): Promise<void> {
    const route = byName.get(d.route);
    const destination = route?.destinations.find((x) => x.name === d.destination);
    const digest = await digestOf(d.digestId);
    const settle = async (next: DeliveryRecord) => store.settle(next);
    if (!route || !destination || !digest) {
      const lastError = !digest ? 'its digest is gone' : 'its route or destination is no longer configured';
      await deadLetterOf({ ...d, attempts: d.attempts, lastError }, destination?.kind ?? 'webhook', digest);
      await settle({ ...d, status: 'dead', lastError });
      result.failed++;
      return;
    }
    let message: RenderedMessage;
    try {
      message = deps.render(destination.kind, digest);
    } catch (error) {
      // A digest this destination cannot show is dead-lettered; the other destinations still get theirs.
      const dead = {
        ...d,
        status: 'dead' as const,
        attempts: d.attempts + 1,
        nextAttemptAt: deps.now(),
        lastError: `could not render: ${(error as Error).message}`,
      };
      await deadLetterOf(dead, destination.kind, digest);
      await settle(dead);
      deps.count('NotificationsFailed', destination.name, destination.kind);
      result.failed++;
      return;
    }
    // What each log line about a failed attempt of this delivery names.
    const attemptFields = (attempts: number, error: string | undefined) => ({
      route: d.route,
      destination: destination.name,
      kind: destination.kind,
      digestId: d.digestId,
      attempts,
      error,
    });
    let attempts = d.attempts;
    for (;;) {
      attempts++;
      const outcome = await deps.send(destination, message);
      const now = deps.now();
      if (outcome.ok) {
        await settle({ ...d, status: 'sent', attempts, nextAttemptAt: now });
        deps.count('NotificationsSent', destination.name, destination.kind);
        deps.onDelivered?.(digest, destination.name);
        logger.info('notification sent', {
          route: d.route,
          destination: destination.name,
          kind: destination.kind,
          digestId: d.digestId,
          attempts,
          findings: digest.findings.length,
          health: digest.health.length,
          cleanup: digest.cleanup.length,
        });
        result.sent++;
        return;
      }
      const tooOld = now - d.createdAt >= deps.policy.maxAgeMs;
      if (!outcome.retryable || attempts >= deps.policy.maxAttempts || tooOld) {
        const dead = { ...d, status: 'dead' as const, attempts, nextAttemptAt: now, lastError: outcome.error };
        await deadLetterOf(dead, destination.kind, digest);
        await settle(dead);
        deps.count('NotificationsFailed', destination.name, destination.kind);
        logger.error(
          'notification undeliverable: sent to the dead-letter queue',
          attemptFields(attempts, outcome.error),
        );
        result.failed++;
        return;
      }
      const wait = backoffDelay(attempts, deps.policy, random, outcome.retryAfterMs);
      if (wait <= deps.policy.maxInlineWaitMs && now + wait < deadline) {
        await deps.sleep(wait);
        continue;
      }
      await settle({ ...d, status: 'pending', attempts, nextAttemptAt: now + wait, lastError: outcome.error });
      deps.count('NotificationsDeferred', destination.name, destination.kind);
      logger.warn('notification deferred', { ...attemptFields(attempts, outcome.error), retryInMs: wait });
      result.deferred++;
      return;
    }
  }

  async function deadLetterOf(
    d: DeliveryRecord & { lastError?: string },
    kind: DestinationKind,
    digest: Digest | undefined,
  ) {
    await deps.deadLetter({
      digestId: d.digestId,
      route: d.route,
      destination: d.destination,
      kind,
      attempts: d.attempts,
      firstDueAt: iso(d.createdAt),
      lastError: d.lastError ?? 'unknown',
      findings: digest?.findings.length ?? 0,
      health: digest?.health.length ?? 0,
    });
  }

  /**
   * Closes every window that has ended and attempts every delivery that is due, each on its own
   * lease, until `deadline` (ms since the epoch) is near.
   */
  async function flush(deadline: number): Promise<FlushResult> {
    const result: FlushResult = { digests: 0, sent: 0, deferred: 0, failed: 0 };
    digests.clear();
    for (const route of routes.routes) result.digests += await closeWindows(route, deps.now());
    const due = await store.dueDeliveries(deps.now());
    due.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
    for (const d of due) {
      const now = deps.now();
      if (now >= deadline) break;
      if (!(await store.lease(d, now, deadline))) continue;
      await deliver(d, deadline, result);
    }
    return result;
  }

  return { ingest, flush };
}

export type Notifier = ReturnType<typeof createNotifier>;
