import type { WorkItem } from '../scan/plan';
import type { ProjectResult, ScanResult } from '../scan/run-scan';
import { type ItemScanDeps, scanItems } from '../scan/scan-plan';
import type { ScanRecordStore } from '../state/store';
import type { WorkMessage } from './messages';

/** A work message naming a (target, region, project) the configuration does not scan. */
export class UnconfiguredWorkError extends Error {
  override name = 'UnconfiguredWorkError';
}

export interface WorkDeps {
  /** What a work item is scanned with. */
  scan: ItemScanDeps;
  /** Whether the configuration scans this item's project (configured or discovered, in its target's region). */
  covers: (item: WorkItem, deadline: number) => Promise<boolean>;
  store: ScanRecordStore | undefined;
  now?: () => number;
}

export type WorkOutcome =
  | { kind: 'scanned'; result: ScanResult; project: ProjectResult }
  | { kind: 'already-done'; cycleId: string };

/**
 * Scans the one project of a work message. A message delivered again after its item ran to its
 * end in that cycle (SQS delivers at least once), complete or not, is skipped: no listing, no
 * events, so a copy never doubles what subscribers see. A copy arriving while the first still runs finds the project's lease taken and is
 * skipped too. A complete scan is recorded, which the dispatcher's overdue check reads. A
 * message naming a project the configuration does not scan is refused (UnconfiguredWorkError).
 */
export async function runWork(deps: WorkDeps, message: WorkMessage, deadline: number): Promise<WorkOutcome> {
  if (deps.store) {
    const record = (await deps.store.getScanRecords([message.projectId], deadline)).get(message.projectId);
    if (record?.lastScannedCycle === message.cycleId) return { kind: 'already-done', cycleId: message.cycleId };
  }
  const item: WorkItem = { target: message.target, region: message.region, projectId: message.projectId };
  // Refused before anything is read or written; thrown, so the message is retried and then kept in the dead-letter queue.
  if (!(await deps.covers(item, deadline)))
    throw new UnconfiguredWorkError(
      `work item names project ${item.projectId} of target ${item.target} in region ${item.region}, which this configuration does not scan`,
    );
  const result = await scanItems(deps.scan, [item], { [item.target]: 1 }, message.cycleId, deadline);
  const project = result.projects[0] as ProjectResult;
  // A project another run held (lease) was not scanned by this item: a later copy may still do it.
  if (deps.store && !project.skipped)
    await deps.store.recordScanned(
      message.projectId,
      message.cycleId,
      project.complete,
      (deps.now ?? Date.now)(),
      deadline,
    );
  return { kind: 'scanned', result, project };
}
