/**
 * Microsoft Teams workflow webhook ("Post to a channel when a webhook request is received"): a
 * message with one Adaptive Card 1.4 attachment. Untrusted text is cleaned and escaped for the
 * card's markdown and never starts a TextBlock. Teams refuses messages over about 28 KB; the
 * card stays far below it because every field and the number of lines are capped.
 */
import type { Severity } from '../../domain/finding';
import type { Digest } from '../model';
import { escapeCardMarkdown as md } from '../text';
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

export const ADAPTIVE_CARD_VERSION = '1.4';
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
/** Teams documents 28 KB for a webhook message; this leaves room for what Teams adds. */
export const TEAMS_MAX_BYTES = 24_000;

export interface TeamsMessage {
  type: 'message';
  attachments: [{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }];
}

/** The slice of the Adaptive Card schema this renderer writes. */
export interface AdaptiveCard {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  type: 'AdaptiveCard';
  version: typeof ADAPTIVE_CARD_VERSION;
  body: CardElement[];
  actions?: { type: 'Action.OpenUrl'; title: string; url: string }[];
  msteams?: { width: 'Full' };
}

export type CardElement =
  | {
      type: 'TextBlock';
      text: string;
      wrap: true;
      size?: 'Small' | 'Medium' | 'Large';
      weight?: 'Bolder';
      color?: 'Attention' | 'Warning' | 'Good' | 'Accent';
      isSubtle?: boolean;
      spacing?: 'None' | 'Small' | 'Medium' | 'Large';
      separator?: boolean;
    }
  | { type: 'FactSet'; facts: { title: string; value: string }[]; spacing?: 'Medium' }
  | {
      type: 'Container';
      items: CardElement[];
      separator?: boolean;
      spacing?: 'Medium';
      style?: 'emphasis' | 'warning';
    };

const COLOR: Record<Severity, 'Attention' | 'Warning' | 'Accent'> = {
  high: 'Attention',
  medium: 'Warning',
  low: 'Accent',
};

const text = (value: string, extra: Partial<Extract<CardElement, { type: 'TextBlock' }>> = {}): CardElement => ({
  type: 'TextBlock',
  text: value,
  wrap: true,
  ...extra,
});

/** The Teams workflow webhook body for a digest: fewer finding lines (and a larger "and N more") when long text would pass Teams' size limit. */
export function renderTeams(digest: Digest, maxLines: number): TeamsMessage {
  let view: DigestView | undefined = viewDigest(digest, maxLines);
  let message = cardMessage(digest, view);
  while (Buffer.byteLength(JSON.stringify(message)) > TEAMS_MAX_BYTES) {
    view = shorterView(view);
    if (!view) break;
    message = cardMessage(digest, view);
  }
  return message;
}

function cardMessage(digest: Digest, view: DigestView): TeamsMessage {
  const body: CardElement[] = [
    text(`EVS snapshots · ${md(view.route)}`, { size: 'Large', weight: 'Bolder' }),
    text(`Window ${md(view.window)} · ${digest.mode}`, { isSubtle: true, spacing: 'None', size: 'Small' }),
    text(`**${md(view.changes)}**`, { size: 'Medium' }),
  ];
  const facts = countFacts(view);
  if (facts.length > 0) body.push({ type: 'FactSet', facts, spacing: 'Medium' });
  if (view.open) body.push(text(`**${md(view.open.replace(/^open now/, 'Open now'))}**`));
  if (view.money) body.push(text(`Cost: ${md(view.money)}`, { spacing: 'None' }));
  if (view.lines.length > 0) {
    body.push({
      type: 'Container',
      separator: true,
      spacing: 'Medium',
      items: [text('**Top findings** (high first, then oldest)'), ...view.lines.map(findingBlock)],
    });
  }
  if (view.more > 0) body.push(text(`…and ${view.more} more`, { isSubtle: true }));
  if (view.health.length > 0) {
    body.push({
      type: 'Container',
      separator: true,
      items: [
        text('**Scan health**'),
        ...view.health.map((h) =>
          text(`${h.kind === 'failing' ? 'FAILING' : 'RECOVERED'} ${md(h.project)}: ${md(h.text)}`, {
            color: h.kind === 'failing' ? 'Warning' : 'Good',
            spacing: 'Small',
          }),
        ),
      ],
    });
  }
  if (view.cleanup.length > 0) {
    body.push({
      type: 'Container',
      separator: true,
      items: [
        text('**Cleanup**'),
        ...view.cleanup.map(cleanupBlock),
        ...(view.cleanupMore > 0 ? [text(`…and ${view.cleanupMore} more`, { isSubtle: true })] : []),
      ],
    });
  }
  const actions: NonNullable<AdaptiveCard['actions']> = [];
  if (view.links.report) actions.push({ type: 'Action.OpenUrl', title: 'Fleet report', url: view.links.report });
  if (view.links.findings)
    actions.push({
      type: 'Action.OpenUrl',
      title: view.more > 0 ? `All ${view.lines.length + view.more} findings` : 'Open findings',
      url: view.links.findings,
    });
  const card: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: ADAPTIVE_CARD_VERSION,
    body,
    ...(actions.length > 0 ? { actions } : {}),
    msteams: { width: 'Full' },
  };
  return {
    type: 'message',
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: card }],
  };
}

function countFacts(view: DigestView): { title: string; value: string }[] {
  return view.rows.map((r) => ({
    title: `${r.severity.toUpperCase()} ${md(r.findingType)}`,
    value: `${KIND_ORDER.filter((k) => r.byKind[k] > 0)
      .map((k) => `${r.byKind[k]} ${KIND_LABEL[k]}`)
      .join(', ')} (${r.gb} GB)`,
  }));
}

function findingBlock(l: FindingLine): CardElement {
  const detail = l.detail ? ` · ${md(l.detail)}` : '';
  return text(
    `**${l.severity.toUpperCase()}** ${md(l.findingType)} ${KIND_LABEL[l.kind]}: **${md(l.name)}** (${l.gb} GB, ${md(l.status)}) in ${md(l.project)} · owner ${md(l.owner)}${detail} — ${md(l.reason)}`,
    { color: l.kind === 'resolved' ? 'Good' : COLOR[l.severity], spacing: 'Small' },
  );
}

function cleanupBlock(l: CleanupLine): CardElement {
  const what =
    l.name === null
      ? `in ${md(l.project)}`
      : `**${md(l.name)}** (${l.gb} GB) in ${md(l.project)} · owner ${md(l.owner)}`;
  return text(
    `**${l.severity.toUpperCase()}** ${CLEANUP_LABEL[l.action]}: ${what} — ${md(l.text)}${l.stop ? ` ${md(l.stop)}` : ''}`,
    {
      color: l.action === 'DELETED' ? 'Good' : COLOR[l.severity],
      spacing: 'Small',
    },
  );
}
