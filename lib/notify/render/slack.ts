/**
 * Slack incoming webhook: a Block Kit message within Slack's limits (50 blocks, 3,000 characters a
 * section or context text, 150 a header). Untrusted text is cleaned, `&`, `<` and `>` are escaped
 * as Slack asks, backticks are swapped for a look-alike so a name cannot leave its code span, and
 * every mrkdwn object is `verbatim` so Slack does not turn bare `@channel`, `#channel` or URLs in it into links or mentions.
 */
import type { ContextBlock, HeaderBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import type { Severity } from '../../domain/finding';
import type { Digest } from '../model';
import { escapeSlack, truncate } from '../text';
import {
  CLEANUP_LABEL,
  type CleanupLine,
  type DigestView,
  type FindingLine,
  KIND_LABEL,
  KIND_ORDER,
  shorterView,
  viewDigest,
} from './digest-view';

/**
 * Slack's documented limits, and `messageText`: Slack refuses (msg_blocks_too_long) messages whose
 * blocks hold about 13,000 characters in all (slackapi/bolt-js#2509), fewer than the documented
 * limits allow, so the renderer keeps the blocks' text under 12,000.
 */
export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3_000,
  headerText: 150,
  contextElements: 10,
  fallbackText: 3_000,
  messageText: 12_000,
} as const;

export interface SlackMessage {
  /** The notification text (shown in pushes and by clients that cannot show blocks). */
  text: string;
  blocks: KnownBlock[];
}

const DOT: Record<Severity, string> = { high: ':red_circle:', medium: ':large_orange_circle:', low: ':white_circle:' };
const KIND_MARK = {
  new: ':new:',
  escalated: ':arrow_double_up:',
  deescalated: ':arrow_down_small:',
  reminded: ':repeat:',
  resolved: ':white_check_mark:',
} as const;

/** Escaped for mrkdwn; backticks become `ˋ` so a value shown as code cannot close its span. */
const esc = (s: string) => escapeSlack(s);
const code = (s: string) => `\`${escapeSlack(s.replace(/`/g, 'ˋ'))}\``;
const mrkdwn = (text: string): MrkdwnElement => ({
  type: 'mrkdwn',
  text: truncate(text, SLACK_LIMITS.sectionText),
  verbatim: true,
});
const section = (text: string): SectionBlock => ({ type: 'section', text: mrkdwn(text) });
const context = (...texts: string[]): ContextBlock => ({
  type: 'context',
  elements: texts.slice(0, SLACK_LIMITS.contextElements).map(mrkdwn),
});
/** A link people click: the URL comes from configuration; `|` and `>` would end it, so they are percent-encoded. */
const link = (url: string, label: string) => `<${escapeSlack(url).replace(/\|/g, '%7C')}|${esc(label)}>`;

/** Slack Block Kit for a digest: fewer finding lines (and a larger "and N more") when long text would pass Slack's limits. */
export function renderSlack(digest: Digest, maxLines: number): SlackMessage {
  let view: DigestView | undefined = viewDigest(digest, maxLines);
  let message = slackMessage(digest, view);
  while (message.blocks.length > SLACK_LIMITS.blocks || blocksText(message) > SLACK_LIMITS.messageText) {
    view = shorterView(view);
    if (!view) break;
    message = slackMessage(digest, view);
  }
  return { text: message.text, blocks: message.blocks.slice(0, SLACK_LIMITS.blocks) };
}

/** Characters of text in all blocks. */
export function blocksText(message: SlackMessage): number {
  let n = 0;
  for (const b of message.blocks) {
    const any = b as { text?: { text: string }; elements?: { text?: string }[] };
    n += any.text?.text.length ?? 0;
    for (const e of any.elements ?? []) n += e.text?.length ?? 0;
  }
  return n;
}

function slackMessage(digest: Digest, view: DigestView): SlackMessage {
  const header: HeaderBlock = {
    type: 'header',
    text: { type: 'plain_text', text: truncate(`EVS snapshots · ${view.route}`, SLACK_LIMITS.headerText), emoji: true },
  };
  const blocks: KnownBlock[] = [
    header,
    context(`${esc(view.window)} · ${digest.mode === 'digest' ? 'digest' : 'immediate'}`),
  ];

  const summary = [
    `*${esc(view.changes)}*`,
    countsText(view),
    view.open ? `*${esc(capitalise(view.open))}*` : '',
    view.money ? `:moneybag: ${esc(view.money)}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
  if (summary) blocks.push(section(summary));

  if (view.lines.length > 0) {
    blocks.push({ type: 'divider' });
    for (const chunk of chunkLines(view.lines.map(findingText), SLACK_LIMITS.sectionText)) blocks.push(section(chunk));
  }
  if (view.more > 0)
    blocks.push(
      context(`…and ${view.more} more${view.links.findings ? `: ${link(view.links.findings, 'list them all')}` : ''}`),
    );

  if (view.health.length > 0) {
    const lines = view.health.map(
      (h) => `${h.kind === 'failing' ? ':warning:' : ':large_green_circle:'} ${code(h.project)} ${esc(h.text)}`,
    );
    for (const chunk of chunkLines(['*Scan health*', ...lines], SLACK_LIMITS.sectionText)) blocks.push(section(chunk));
  }

  if (view.cleanup.length > 0) {
    const lines = [
      ...view.cleanup.map(cleanupText),
      ...(view.cleanupMore > 0 ? [`…and ${view.cleanupMore} more`] : []),
    ];
    for (const chunk of chunkLines(['*Cleanup*', ...lines], SLACK_LIMITS.sectionText)) blocks.push(section(chunk));
  }

  const links = [
    view.links.report ? link(view.links.report, 'Fleet report') : '',
    view.links.findings ? link(view.links.findings, 'Open findings') : '',
  ].filter(Boolean);
  if (links.length > 0) blocks.push(context(links.join(' · ')));

  return { text: truncate(esc(`EVS snapshots · ${view.headline}`), SLACK_LIMITS.fallbackText), blocks };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function countsText(view: DigestView): string {
  if (view.rows.length === 0) return '';
  const rows = view.rows.map((r) => {
    const parts = KIND_ORDER.filter((k) => r.byKind[k] > 0).map((k) => `${r.byKind[k]} ${KIND_LABEL[k]}`);
    return `${DOT[r.severity]} *${r.severity}* ${code(r.findingType)}: ${parts.join(', ')} (${r.gb} GB)`;
  });
  return rows.join('\n');
}

function findingText(l: FindingLine): string {
  const detail = l.detail ? ` · ${esc(l.detail)}` : '';
  return `${DOT[l.severity]} ${KIND_MARK[l.kind]} *${l.severity.toUpperCase()}* ${code(l.findingType)} ${KIND_LABEL[l.kind]}: ${code(l.name)} (${l.gb} GB, ${esc(l.status)}) in ${esc(l.project)} · owner ${esc(l.owner)}${detail} — ${esc(l.reason)}`;
}

const CLEANUP_MARK = {
  BRAKE: ':octagonal_sign:',
  FAILED: ':x:',
  REFUSED: ':no_entry_sign:',
  MARKED: ':wastebasket:',
  DELETED: ':heavy_minus_sign:',
} as const;

function cleanupText(l: CleanupLine): string {
  const what =
    l.name === null
      ? `in ${esc(l.project)}`
      : `${code(l.name)} (${l.gb} GB) in ${esc(l.project)} · owner ${esc(l.owner)}`;
  return `${DOT[l.severity]} ${CLEANUP_MARK[l.action]} *${CLEANUP_LABEL[l.action]}*: ${what} — ${esc(l.text)}${l.stop ? `\n${esc(l.stop)}` : ''}`;
}

/** Joins lines with newlines into as few texts as fit `max` characters each; a single over-long line is cut. */
export function chunkLines(lines: readonly string[], max: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = truncate(raw, max);
    if (current && current.length + 1 + line.length > max) {
      out.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) out.push(current);
  return out;
}
