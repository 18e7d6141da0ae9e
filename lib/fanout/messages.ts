import { isProjectId } from '../domain/project';
import type { WorkItem } from '../scan/plan';

/** One unit of work on the queue: scan this project of this target for this cycle. */
export interface WorkMessage extends WorkItem {
  version: 1;
  /** The cycle's id: the schedule's own time, so a retried dispatch sends the same ids. */
  cycleId: string;
  dispatchedAt: string;
}

/** A queue body that is not a work message: it can never succeed, so it is not retried silently. */
export class BadWorkMessageError extends Error {
  override name = 'BadWorkMessageError';
}

/** Reads a queue body; anything but a work message of version 1 is refused. */
export function parseWorkMessage(body: string): WorkMessage {
  let m: Partial<WorkMessage>;
  try {
    m = JSON.parse(body) as Partial<WorkMessage>;
  } catch {
    throw new BadWorkMessageError('work message is not JSON');
  }
  if (m?.version !== 1) throw new BadWorkMessageError('work message is not of version 1');
  for (const key of ['cycleId', 'target', 'region', 'dispatchedAt'] as const) {
    if (typeof m[key] !== 'string' || (m[key] as string).length === 0 || (m[key] as string).length > 256)
      throw new BadWorkMessageError(`work message has no usable ${key}`);
  }
  if (!isProjectId(m.projectId)) throw new BadWorkMessageError('work message has no usable projectId');
  return m as WorkMessage;
}
