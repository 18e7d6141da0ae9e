/**
 * The generic JSON webhook: the digest as data, for programs (events/schemas/notification.schema.json
 * documents it). Untrusted text is cleaned (no control, bidi or line-break characters; capped) but
 * not escaped: escaping belongs to whatever displays it.
 */
import type { CleanupNotice, Digest, NoticeFinding, ScanHealthNotice } from '../model';
import { cleanText } from '../text';
import { orderFindings, viewDigest } from './digest-view';

/** Bumped on any change to the body; a minor bump only adds optional fields. */
export const NOTIFICATION_SCHEMA_VERSION = '1.1';
export const NOTIFICATION_SCHEMA_ID = 'https://evs-snapshot-sentinel/schemas/notification/1.json';
/** At most this many findings in one body (about 1 KB each); the rest are counted in `omittedFindings`. */
export const WEBHOOK_MAX_FINDINGS = 500;
/** And at most this many bytes in all, so a receiver's usual 1 MB request limit holds whatever the names. */
export const WEBHOOK_MAX_BYTES = 1_000_000;
const METADATA_MAX_KEYS = 20;

export interface WebhookBody {
  schema: typeof NOTIFICATION_SCHEMA_ID;
  schemaVersion: typeof NOTIFICATION_SCHEMA_VERSION;
  digestId: string;
  route: string;
  mode: Digest['mode'];
  window: Digest['window'];
  headline: string;
  counts: Digest['counts'];
  openTotals: Digest['openTotals'];
  money?: Digest['money'];
  links: Digest['links'];
  findings: NoticeFinding[];
  omittedFindings: number;
  health: ScanHealthNotice[];
  /** 1.1: cleanup marks, deletions, failures and brakes. */
  cleanup: CleanupNotice[];
}

/** The generic webhook's JSON body for a digest. */
export function renderWebhook(digest: Digest, maxFindings = WEBHOOK_MAX_FINDINGS): WebhookBody {
  const view = viewDigest(digest, 0);
  const body = bodyOf(digest, view.headline, []);
  let bytes = Buffer.byteLength(JSON.stringify(body));
  for (const finding of orderFindings(digest.findings).slice(0, maxFindings).map(cleanFinding)) {
    bytes += Buffer.byteLength(JSON.stringify(finding)) + 1;
    if (bytes > WEBHOOK_MAX_BYTES) break;
    body.findings.push(finding);
  }
  body.omittedFindings = digest.findings.length - body.findings.length;
  return body;
}

function bodyOf(digest: Digest, headline: string, findings: NoticeFinding[]): WebhookBody {
  return {
    schema: NOTIFICATION_SCHEMA_ID,
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    digestId: digest.id,
    route: cleanText(digest.route, 64),
    mode: digest.mode,
    window: { from: digest.window.from, to: digest.window.to },
    headline,
    counts: digest.counts.map((c) => ({ ...c, findingType: cleanText(c.findingType, 40) })),
    openTotals: digest.openTotals,
    ...(digest.money ? { money: { ...digest.money, currency: cleanText(digest.money.currency, 8) } } : {}),
    links: { ...digest.links },
    findings,
    omittedFindings: digest.findings.length - findings.length,
    health: digest.health.map((h) => ({
      ...h,
      projectId: cleanText(h.projectId, 64),
      region: cleanText(h.region, 64),
      target: cleanText(h.target, 64),
      ...(h.failureCode === undefined ? {} : { failureCode: cleanText(h.failureCode, 64) }),
      ...(h.message === undefined ? {} : { message: cleanText(h.message, 500) }),
    })),
    cleanup: digest.cleanup.map(cleanCleanup),
  };
}

function cleanMetadata(metadata: Record<string, string> | undefined): Record<string, string> | undefined {
  return metadata
    ? Object.fromEntries(
        Object.entries(metadata)
          .slice(0, METADATA_MAX_KEYS)
          .map(([k, v]) => [cleanText(k, 64), cleanText(v, 256)]),
      )
    : undefined;
}

function cleanCleanup(c: CleanupNotice): CleanupNotice {
  const s = c.snapshot;
  const metadata = cleanMetadata(s?.metadata);
  return {
    ...c,
    projectId: cleanText(c.projectId, 64),
    region: cleanText(c.region, 64),
    target: cleanText(c.target, 64),
    rule: c.rule === null ? null : cleanText(c.rule, 64),
    snapshot: s
      ? {
          id: cleanText(s.id, 64),
          name: s.name === null ? null : cleanText(s.name, 255),
          status: cleanText(s.status, 32),
          size: s.size,
          ...(metadata ? { metadata } : {}),
        }
      : null,
    deleteAfter: c.deleteAfter === null ? null : cleanText(c.deleteAfter, 40),
    owner: c.owner === null ? null : cleanText(c.owner, 128),
    reason: cleanText(c.reason, 1_000),
    ...(c.brake ? { brake: { ...c.brake, limits: c.brake.limits.slice(0, 10).map((l) => cleanText(l, 200)) } } : {}),
  };
}

function cleanFinding(f: NoticeFinding): NoticeFinding {
  const s = f.snapshot;
  const metadata = cleanMetadata(s.metadata);
  return {
    ...f,
    findingType: cleanText(f.findingType, 40),
    ...(f.previous ? { previous: { ...f.previous, findingType: cleanText(f.previous.findingType, 40) } } : {}),
    reason: cleanText(f.reason, 500),
    projectId: cleanText(f.projectId, 64),
    region: cleanText(f.region, 64),
    target: cleanText(f.target, 64),
    owner: f.owner === null ? null : cleanText(f.owner, 128),
    snapshot: {
      id: cleanText(s.id, 64),
      name: s.name === null ? null : cleanText(s.name, 255),
      status: cleanText(s.status, 32),
      volume_id: cleanText(s.volume_id, 64),
      size: s.size,
      created_at: s.created_at,
      ...(s.description === undefined
        ? {}
        : { description: s.description === null ? null : cleanText(s.description, 500) }),
      ...(metadata ? { metadata } : {}),
    },
  };
}
