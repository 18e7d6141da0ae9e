/** Renders a digest for one kind of destination. The notifier picks the digest; these pick only the words and the shape. */
import type { DestinationKind, Digest, RenderedMessage } from '../model';
import { type AlertmanagerOptions, renderAlertmanager } from './alertmanager';
import { DEFAULT_MAX_LINES } from './digest-view';
import { renderSlack } from './slack';
import { renderSns } from './sns';
import { renderTeams } from './teams';
import { renderWebhook } from './webhook';

export interface RenderOptions {
  /** Findings listed by human formats before "and N more" (default 20). */
  maxLines?: number;
  /** Alertmanager only: how long an open alert stays open without a re-send. */
  alertmanager?: AlertmanagerOptions;
}

/** The message one destination receives for a digest. */
export function render(kind: DestinationKind, digest: Digest, options: RenderOptions = {}): RenderedMessage {
  const maxLines = options.maxLines ?? DEFAULT_MAX_LINES;
  switch (kind) {
    case 'webhook':
      return { kind: 'http-json', body: renderWebhook(digest) };
    case 'slack':
      return { kind: 'http-json', body: renderSlack(digest, maxLines) };
    case 'teams':
      return { kind: 'http-json', body: renderTeams(digest, maxLines) };
    case 'sns': {
      const { subject, message } = renderSns(digest, maxLines);
      return { kind: 'sns', subject, message };
    }
    case 'alertmanager':
      return { kind: 'http-json', body: renderAlertmanager(digest, options.alertmanager) };
    default: {
      const never: never = kind;
      throw new RangeError(`unknown destination kind ${String(never)}`);
    }
  }
}

export { DEFAULT_HEALTH_HOLD_HOURS, DEFAULT_HOLD_HOURS, type PostableAlert } from './alertmanager';
export { DEFAULT_MAX_LINES } from './digest-view';
export { SLACK_LIMITS, type SlackMessage } from './slack';
export { SNS_SUBJECT_MAX } from './sns';
export { ADAPTIVE_CARD_VERSION, type TeamsMessage } from './teams';
export { NOTIFICATION_SCHEMA_VERSION, type WebhookBody } from './webhook';
