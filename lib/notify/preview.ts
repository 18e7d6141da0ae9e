import { DETAIL_TYPES, type FindingDetail } from '../events/contract';
import type { PriceList } from '../pricing/prices';
import { buildDigest, moneyOf } from './digest';
import type { Digest, NoticeFinding, ScanHealthNotice } from './model';
import { noticeOf, scanOutcomeOf } from './notice';
import type { ScannerEvent } from './notifier';
import { type Routes, routesFor, routesForHealth } from './routes';

/**
 * What each route would receive for a set of scanner events, with nothing remembered: every
 * transition is taken as it comes and every failing project as newly failing. The dry run of
 * `npm run notify` prints these; routes that would receive nothing are left out.
 */
export function previewDigests(
  routes: Routes,
  events: readonly ScannerEvent[],
  now: number,
  prices?: PriceList,
): Digest[] {
  const findings = new Map<string, NoticeFinding[]>();
  const health = new Map<string, ScanHealthNotice[]>();
  const push = <T>(map: Map<string, T[]>, key: string, value: T) => map.set(key, [...(map.get(key) ?? []), value]);
  for (const event of events) {
    if (event['detail-type'] === DETAIL_TYPES.finding) {
      const notice = noticeOf(event.detail as FindingDetail, routes.ownerKey);
      for (const route of routesFor(routes.routes, notice)) push(findings, route.name, notice);
      continue;
    }
    const outcome = scanOutcomeOf(event['detail-type'], event.detail);
    if (!outcome?.failing) continue;
    const notice: ScanHealthNotice = {
      kind: 'failing',
      projectId: outcome.projectId,
      region: outcome.region,
      target: outcome.target,
      observedAt: outcome.observedAt,
      since: outcome.observedAt,
      ...(outcome.failureCode ? { failureCode: outcome.failureCode } : {}),
      ...(outcome.message ? { message: outcome.message } : {}),
    };
    for (const route of routesForHealth(routes.routes, notice)) {
      // A failing project says so twice (its summary and its Scan Failed event): one notice.
      if (
        !(health.get(route.name) ?? []).some(
          (h) => h.projectId === notice.projectId && h.target === notice.target && h.region === notice.region,
        )
      )
        push(health, route.name, notice);
    }
  }
  const at = new Date(now).toISOString();
  return routes.routes
    .filter((r) => findings.has(r.name) || health.has(r.name))
    .map((r) => {
      const digest = buildDigest({
        route: r.name,
        mode: r.delivery.mode,
        window: { from: at, to: at },
        findings: findings.get(r.name) ?? [],
        health: health.get(r.name) ?? [],
        links: routes.links,
      });
      const money = moneyOf(prices, digest.findings);
      return money ? { ...digest, money } : digest;
    });
}
