import type { Digest } from './model';
import { plainCleanupLine, plainFindingLine, viewDigest } from './render/digest-view';

/** A digest as terminal lines (npm start, npm run notify): a headline, then its findings, health changes and cleanup notices, its money and report link, cleaned of control characters. */
export function digestLines(digest: Digest, destination: string, maxLines = 20): string[] {
  const view = viewDigest(digest, maxLines);
  return [
    `NOTIFY ${view.headline} → ${destination} [${view.window}]`,
    ...view.rows.map(
      (r) =>
        `  ${r.severity} ${r.findingType}: ${Object.entries(r.byKind)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')} (${r.gb} GB)`,
    ),
    ...view.lines.map((l) => `  ${plainFindingLine(l)}`),
    ...(view.more > 0 ? [`  … and ${view.more} more`] : []),
    ...view.health.map((h) => `  ${h.project}: ${h.text}`),
    ...view.cleanup.map((l) => `  ${plainCleanupLine(l)}`),
    ...(view.cleanupMore > 0 ? [`  … and ${view.cleanupMore} more cleanup notices`] : []),
    ...(view.money ? [`  cost: ${view.money}`] : []),
    ...(view.links.report ? [`  report: ${view.links.report}`] : []),
  ];
}
