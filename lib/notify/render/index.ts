/** Renders a digest for one kind of destination. The notifier picks the digest; these pick only the words and the shape. */
import type { Digest, DestinationKind, RenderedMessage } from '../model';
import { DEFAULT_MAX_LINES } from './digest-view';
import { renderWebhook } from './webhook';

export interface RenderOptions {
  /** Findings listed by human formats before "and N more" (default 20). */
  maxLines?: number;
}

/** The message one destination receives for a digest. */
export function render(kind: DestinationKind, digest: Digest, options: RenderOptions = {}): RenderedMessage {
  const maxLines = options.maxLines ?? DEFAULT_MAX_LINES;
  switch (kind) {
    case 'webhook':
      return { kind: 'http-json', body: renderWebhook(digest) };
    default:
      throw new RangeError(`no renderer for destination kind ${String(kind)} yet (maxLines ${maxLines})`);
  }
}

export { renderWebhook, NOTIFICATION_SCHEMA_VERSION } from './webhook';
