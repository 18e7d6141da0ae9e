import { createHash } from 'node:crypto';
import { SEVERITIES, type Severity } from '../domain/finding';
import { monthlyCostOf, type PriceList, roundMoney } from '../pricing/prices';
import type { CleanupNotice, Digest, DigestCount, NoticeFinding, ScanHealthNotice } from './model';

const severityRank = (s: Severity) => SEVERITIES.indexOf(s);

/** High severity first, then the oldest (by when the episode opened, else the snapshot's creation). */
export function compareNotices(a: NoticeFinding, b: NoticeFinding): number {
  const bySeverity = severityRank(a.severity) - severityRank(b.severity);
  if (bySeverity !== 0) return bySeverity;
  const since = (n: NoticeFinding) => n.firstSeenAt ?? n.snapshot.created_at;
  return since(a).localeCompare(since(b)) || a.transitionId.localeCompare(b.transitionId);
}

/** Counts by kind, type and severity, with the snapshots' GB. */
export function countNotices(findings: readonly NoticeFinding[]): DigestCount[] {
  const counts = new Map<string, DigestCount>();
  for (const f of findings) {
    const key = `${f.kind}\u0000${f.findingType}\u0000${f.severity}`;
    const c = counts.get(key) ?? { kind: f.kind, findingType: f.findingType, severity: f.severity, count: 0, gb: 0 };
    c.count++;
    c.gb += Number.isFinite(f.snapshot.size) ? f.snapshot.size : 0;
    counts.set(key, c);
  }
  return [...counts.values()].sort(
    (a, b) =>
      a.kind.localeCompare(b.kind) ||
      severityRank(a.severity) - severityRank(b.severity) ||
      a.findingType.localeCompare(b.findingType),
  );
}

export interface DigestParts {
  route: string;
  mode: Digest['mode'];
  window: Digest['window'];
  findings: readonly NoticeFinding[];
  health: readonly ScanHealthNotice[];
  cleanup?: readonly CleanupNotice[];
  openTotals?: Digest['openTotals'];
  links: Digest['links'];
}

/** The id a digest keeps however often it is built: its route and the transitions and health changes in it. */
export function digestIdOf(route: string, keys: readonly string[]): string {
  return createHash('sha256')
    .update([route, ...[...keys].sort()].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

/** One digest: what changed for one route, ordered as people read it. */
export function buildDigest(parts: DigestParts): Digest {
  const findings = [...parts.findings].sort(compareNotices);
  const health = [...parts.health].sort(
    (a, b) => a.observedAt.localeCompare(b.observedAt) || a.projectId.localeCompare(b.projectId),
  );
  const cleanup = [...(parts.cleanup ?? [])].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) || a.at.localeCompare(b.at) || a.key.localeCompare(b.key),
  );
  return {
    id: digestIdOf(parts.route, [
      ...findings.map((f) => f.transitionId),
      ...health.map(healthKey),
      ...cleanup.map((c) => c.key),
    ]),
    route: parts.route,
    mode: parts.mode,
    window: parts.window,
    counts: countNotices(findings),
    openTotals: parts.openTotals ?? null,
    findings,
    health,
    cleanup,
    links: parts.links,
  };
}

/** The key one health change is de-duplicated on: the same project going down at the same moment is one change. */
export function healthKey(h: ScanHealthNotice): string {
  return createHash('sha256')
    .update(
      ['health', h.kind, h.target, h.region, h.projectId, h.kind === 'failing' ? h.since : h.observedAt].join('\u0000'),
    )
    .digest('hex')
    .slice(0, 32);
}

/**
 * A digest's money: what its new findings' snapshots cost per month, to the cent. The notifier
 * sees transitions, not the fleet, so what is open in all it cannot tell (`openPerMonth: null`).
 * Undefined without prices or without findings.
 */
export function moneyOf(prices: PriceList | undefined, findings: readonly NoticeFinding[]): Digest['money'] {
  if (!prices || findings.length === 0) return undefined;
  return {
    currency: prices.currency,
    newPerMonth: roundMoney(
      monthlyCostOf(
        prices,
        findings.filter((f) => f.kind === 'new'),
      ),
    ),
    openPerMonth: null,
  };
}
