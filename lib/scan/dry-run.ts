import type { OutboundEvent } from '../events/contract';
import type { PublishStats } from '../events/publisher';
import type { EventSink } from './run-scan';

/** A sink that prints each event as one JSON line instead of publishing it. */
export function createPrintingSink(write: (line: string) => void): EventSink {
  const stats: PublishStats = { calls: 0, published: 0, retriedEntries: 0, shrunk: 0, failed: [] };
  return {
    stats,
    // Printed counts as delivered; the dry-run tracker counts it and writes nothing.
    async add(event: OutboundEvent, onDelivered?: () => void) {
      write(
        JSON.stringify({
          source: event.source,
          'detail-type': event.detailType,
          resources: event.resources,
          detail: event.detail,
        }),
      );
      stats.published++;
      onDelivered?.();
    },
    async flush() {},
  };
}
