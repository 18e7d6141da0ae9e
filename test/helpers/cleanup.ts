import type { FleetProject } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import type { LocalDynamo } from '../../tools/local/dynamodb';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { startStateTable } from './state';

/** What a cleanup test runs against: the emulator with these projects, a findings table on dynalite, a local EventBridge. */
export interface CleanupRig {
  emulator: RunningEmulator;
  dynamo: LocalDynamo & { table: string };
  bus: LocalEventBridge;
  close(): Promise<void>;
}

export async function startCleanupRig(projects: FleetProject[]): Promise<CleanupRig> {
  const emulator = await startEmulator({ projects, auth: { mode: 'noauth' } });
  const dynamo = await startStateTable();
  const bus = await startLocalEventBridge();
  return {
    emulator,
    dynamo,
    bus,
    close: async () => void (await Promise.all([emulator.close(), dynamo.close(), bus.close()])),
  };
}
