/**
 * The scheduled half of the fan-out: one message per (target, project) on an SQS FIFO queue,
 * whose event source runs one worker invocation per message. The queue is the engine:
 *
 * - The per-target cap is FIFO's own rule that a message group has one message in flight at a
 *   time: a target with cap N spreads its projects over N groups (`{target}#{slot}`), so at most
 *   N of its projects are being scanned at once, whatever Lambda's concurrency.
 * - A retried dispatch (Lambda retries a failed asynchronous invocation) sends the same
 *   deduplication ids, because the cycle id is the schedule's own time: SQS drops the copies.
 * - A failed worker is retried by SQS up to the queue's receive count, then kept in the
 *   dead-letter queue, which an alarm watches.
 *
 * It also says what no worker can say: a project not scanned completely for two cycles, whether
 * its worker failed or never ran, gets a Scan Failed with NOT_SCANNED (once, then with reminders).
 */
import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, type SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import { backoffDelay } from '../core/retry';
import { FAILURES } from '../domain/failure';
import { scanFailedEvent } from '../events/contract';
import type { TargetCatalog, WorkItem } from '../scan/plan';
import type { EventSink } from '../scan/run-scan';
import { reportDiscoveryFailures } from '../scan/scan-plan';
import type { ScanRecordStore } from '../state/store';
import type { WorkMessage } from './messages';

export interface QueueSender {
  send(command: SendMessageBatchCommand): Promise<Pick<SendMessageBatchCommandOutput, 'Successful' | 'Failed'>>;
}

export interface DispatchDeps {
  catalog: Pick<TargetCatalog, 'plan'>;
  queue: { client: QueueSender; url: string };
  /** Where Scan Failed events go (discovery failures, overdue projects). */
  createSink: (deadline: number) => EventSink;
  /** Without a table there is no memory across cycles, so no overdue check. */
  store: ScanRecordStore | undefined;
  source: string;
  /** The schedule's period: two of them without a complete scan is overdue. */
  cycleMs: number;
  /** Repeat an overdue notice this long after the last; 0 never. */
  remindAfterMs: number;
  now?: () => number;
}

export interface DispatchResult {
  cycleId: string;
  dispatched: number;
  /** Work items SQS did not take after retries: their projects are not scanned this cycle. */
  undelivered: Array<{ target: string; projectId: string; code: string }>;
  discoveryFailures: number;
  /** Projects reported NOT_SCANNED this cycle. */
  overdue: Array<{ target: string; projectId: string; since: string }>;
}

const MAX_BATCH = 10;
const SEND_ATTEMPTS = 4;

/** Message group of a project: the target's cap is the number of its groups. */
export function messageGroups(items: readonly WorkItem[], caps: Readonly<Record<string, number>>): string[] {
  const seen = new Map<string, number>();
  return items.map((item) => {
    const n = seen.get(item.target) ?? 0;
    seen.set(item.target, n + 1);
    return `${item.target}#${n % Math.max(1, caps[item.target] ?? 1)}`;
  });
}

const dedupId = (cycleId: string, item: WorkItem) =>
  createHash('sha256').update(`${cycleId}\n${item.target}\n${item.projectId}`).digest('hex').slice(0, 64);

/** Sends every work item, 10 a call, retrying the entries SQS failed; returns what it could not send. */
async function enqueue(
  deps: DispatchDeps,
  messages: WorkMessage[],
  groups: string[],
  deadline: number,
): Promise<DispatchResult['undelivered']> {
  const undelivered: DispatchResult['undelivered'] = [];
  const now = deps.now ?? Date.now;
  for (let i = 0; i < messages.length; i += MAX_BATCH) {
    let pending = messages
      .slice(i, i + MAX_BATCH)
      .map((m, j) => ({ m, group: groups[i + j] as string, id: String(i + j) }));
    let lastCode = 'NotSent';
    for (let attempt = 1; pending.length > 0 && attempt <= SEND_ATTEMPTS; attempt++) {
      if (attempt > 1) {
        const delay = backoffDelay(
          attempt - 1,
          { maxAttempts: SEND_ATTEMPTS, baseDelayMs: 100, maxDelayMs: 2_000 },
          Math.random,
        );
        if (now() + delay >= deadline) break;
        await new Promise((r) => setTimeout(r, delay));
      }
      try {
        const out = await deps.queue.client.send(
          new SendMessageBatchCommand({
            QueueUrl: deps.queue.url,
            Entries: pending.map((p) => ({
              Id: p.id,
              MessageBody: JSON.stringify(p.m),
              MessageGroupId: p.group,
              MessageDeduplicationId: dedupId(p.m.cycleId, p.m),
            })),
          }),
        );
        const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
        // Sender faults (a bad entry) will fail the same way again; only the rest is retried.
        const senderFaults = pending.filter((p) => failed.get(p.id)?.SenderFault);
        for (const p of senderFaults)
          undelivered.push({
            target: p.m.target,
            projectId: p.m.projectId,
            code: failed.get(p.id)?.Code ?? 'SenderFault',
          });
        pending = pending.filter((p) => failed.has(p.id) && !failed.get(p.id)?.SenderFault);
        if (pending.length > 0) lastCode = failed.get(pending[0]?.id as string)?.Code ?? lastCode;
      } catch (error) {
        lastCode = (error as Error).name || 'Error';
      }
    }
    for (const p of pending) undelivered.push({ target: p.m.target, projectId: p.m.projectId, code: lastCode });
  }
  return undelivered;
}

/** Projects not scanned completely in two cycles; each reported once, then after `remindAfterMs`. */
async function reportOverdue(
  deps: DispatchDeps,
  items: readonly WorkItem[],
  cycleId: string,
  deadline: number,
): Promise<DispatchResult['overdue']> {
  const store = deps.store;
  if (!store) return [];
  const now = (deps.now ?? Date.now)();
  const records = await store.getScanRecords(
    items.map((i) => i.projectId),
    deadline,
  );
  const overdue: DispatchResult['overdue'] = [];
  const delivered: string[] = [];
  const sink = deps.createSink(deadline);
  for (const item of items) {
    const record = records.get(item.projectId);
    if (!record?.firstDispatchedAt) {
      await store.noteDispatched(item.projectId, now, item, deadline);
      continue;
    }
    // Two whole cycles have passed since the last complete scan (or since it was first dispatched).
    const since = record.lastCompleteAt ?? record.firstDispatchedAt;
    if (now - since < 2 * deps.cycleMs) continue;
    const notified = record.overdueNotifiedAt;
    if (notified !== undefined && (deps.remindAfterMs === 0 || now - notified < deps.remindAfterMs)) continue;
    const sinceIso = new Date(since).toISOString();
    const ctx = {
      source: deps.source,
      region: item.region,
      target: item.target,
      scanId: cycleId,
      projectId: item.projectId,
    };
    const message = `${FAILURES.NOT_SCANNED.message.replace(/\.$/, '')}: ${record.lastCompleteAt ? `last complete scan ${sinceIso}` : `never, first dispatched ${sinceIso}`}.`;
    await sink.add(
      scanFailedEvent(ctx, {
        observedAt: new Date(now).toISOString(),
        failureCode: 'NOT_SCANNED',
        message,
        snapshotsRead: 0,
        pagesRead: 0,
      }),
      () => delivered.push(item.projectId),
    );
    overdue.push({ target: item.target, projectId: item.projectId, since: sinceIso });
  }
  await sink.flush();
  // Each notice is marked once it is on the bus: an undelivered one is sent again next cycle, a delivered one is not.
  for (const projectId of delivered) await store.noteOverdueNotified(projectId, now, deadline);
  return overdue;
}

/** One cycle: plan (with discovery), enqueue, report discovery failures and overdue projects. */
export async function dispatchCycle(deps: DispatchDeps, cycleId: string, deadline: number): Promise<DispatchResult> {
  const plan = await deps.catalog.plan({}, deadline);
  const dispatchedAt = new Date((deps.now ?? Date.now)()).toISOString();
  const messages: WorkMessage[] = plan.items.map((item) => ({
    version: 1,
    cycleId,
    target: item.target,
    region: item.region,
    projectId: item.projectId,
    dispatchedAt,
  }));
  const undelivered = await enqueue(deps, messages, messageGroups(plan.items, plan.caps), deadline);
  await reportDiscoveryFailures(deps, plan.failures, cycleId, deadline);
  const overdue = await reportOverdue(deps, plan.items, cycleId, deadline);
  return {
    cycleId,
    dispatched: messages.length - undelivered.length,
    undelivered,
    discoveryFailures: plan.failures.length,
    overdue,
  };
}
