/**
 * SNS: e-mail subscribers read the message as plain text, so the digest is written as text, not
 * JSON. The subject is what SNS allows (printable ASCII, no line breaks, at most 100 characters);
 * every body line starts with this renderer's own words, so a name cannot forge a line.
 */
import type { Digest } from '../model';
import { asciiOnly } from '../text';
import {
  cleanupCounts,
  type DigestView,
  KIND_LABEL,
  KIND_ORDER,
  plainCleanupLine,
  plainFindingLine,
  viewDigest,
} from './digest-view';

export const SNS_SUBJECT_MAX = 100;

export interface SnsMessage {
  subject: string;
  message: string;
}

/** The SNS subject and plain-text body for a digest. */
export function renderSns(digest: Digest, maxLines: number): SnsMessage {
  const view = viewDigest(digest, maxLines);
  return { subject: subjectOf(view, digest), message: bodyOf(view, digest) };
}

/** "EVS snapshots default: 23 new, 1 escalated, 1 resolved, 1 failing": the kinds that happened, no GB, to fit 100 characters. */
function subjectOf(view: DigestView, digest: Digest): string {
  const parts = KIND_ORDER.filter((k) => view.totalsByKind[k] > 0).map(
    (k) => `${view.totalsByKind[k]} ${KIND_LABEL[k]}`,
  );
  const failing = digest.health.filter((h) => h.kind === 'failing').length;
  const recovered = digest.health.length - failing;
  if (failing) parts.push(`${failing} failing`);
  if (recovered) parts.push(`${recovered} recovered`);
  parts.push(...cleanupCounts(digest.cleanup));
  const subject = asciiOnly(`EVS snapshots ${view.route}: ${parts.join(', ') || 'no changes'}`);
  return subject.length <= SNS_SUBJECT_MAX ? subject : `${subject.slice(0, SNS_SUBJECT_MAX - 3).trimEnd()}...`;
}

function bodyOf(view: DigestView, digest: Digest): string {
  const out: string[] = [];
  out.push(`EVS snapshot ${digest.mode === 'digest' ? 'digest' : 'notice'} for route "${view.route}"`);
  out.push(`Window: ${view.window}`);
  out.push('');
  out.push(`Changes: ${view.changes}`);
  if (view.open) out.push(`Open now: ${view.open.slice('open now: '.length)}`);
  if (view.money) out.push(`Cost: ${view.money}`);
  if (view.rows.length > 0) {
    out.push('');
    out.push('By type and severity:');
    const width = Math.max(...view.rows.map((r) => r.findingType.length));
    for (const r of view.rows) {
      const parts = KIND_ORDER.filter((k) => r.byKind[k] > 0).map((k) => `${r.byKind[k]} ${KIND_LABEL[k]}`);
      out.push(`  ${r.severity.padEnd(6)} ${r.findingType.padEnd(width)}  ${parts.join(', ')} (${r.gb} GB)`);
    }
  }
  if (view.lines.length > 0) {
    out.push('');
    out.push('Top findings (high first, then oldest):');
    view.lines.forEach((l, i) => {
      out.push(`  ${String(i + 1).padStart(2)}. ${plainFindingLine(l)}`);
    });
    if (view.more > 0) out.push(`  ...and ${view.more} more${view.links.findings ? `: ${view.links.findings}` : ''}`);
  }
  if (view.health.length > 0) {
    out.push('');
    out.push('Scan health:');
    for (const h of view.health)
      out.push(`  ${h.kind === 'failing' ? 'FAILING  ' : 'RECOVERED'} ${h.project}: ${h.text}`);
  }
  if (view.cleanup.length > 0) {
    out.push('');
    out.push('Cleanup:');
    view.cleanup.forEach((l, i) => {
      out.push(`  ${String(i + 1).padStart(2)}. ${plainCleanupLine(l)}`);
    });
    if (view.cleanupMore > 0) out.push(`  ...and ${view.cleanupMore} more`);
  }
  if (view.links.report || view.links.findings) {
    out.push('');
    if (view.links.report) out.push(`Fleet report:  ${view.links.report}`);
    if (view.links.findings) out.push(`Open findings: ${view.links.findings}`);
  }
  out.push('');
  out.push(`Digest ${asciiOnly(digest.id)}`);
  return `${out.join('\n')}\n`;
}
