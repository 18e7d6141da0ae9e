import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createFindingsTable } from '../tools/local/dynamodb';
import { median, type Servers, stats } from './lib';
import { type ChildResult, runChild } from './scan';

/** A fresh findings table on the benchmark's dynalite, from the deployed definition. */
async function freshTable(servers: Servers): Promise<string> {
  const client = new DynamoDBClient({
    endpoint: servers.dynamo,
    region: 'local',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const table = `bench-${randomUUID().slice(0, 8)}`;
  await createFindingsTable(client, table);
  client.destroy();
  return table;
}

export interface LifecycleFigures {
  snapshots: number;
  newFindings: number;
  firstScanMs: number;
  firstBatchWriteCalls: number;
  firstReadCalls: number;
  firstItemsWritten: number;
  /** BatchWriteItem calls ÷ ⌈new findings ÷ 25⌉. */
  writeRatio: number;
  steadyMedianMs: number;
  bareMedianMs: number;
  steadyRatio: number;
  steadyFindingEvents: number;
  steadyItemsWritten: number;
  steadyReadCalls: number;
  rounds: number;
}

/** The first scan into an empty table, then steady-state scans of the unchanged fleet against the bare paging loop, alternating. */
export async function benchLifecycle(bundle: string, servers: Servers, rounds: number): Promise<LifecycleFigures> {
  const table = await freshTable(servers);
  await stats(servers);
  const first = await runChild(bundle, servers, 'stateful', table);
  if (!first.ok || !first.store || !first.transitions)
    throw new Error('the first stateful benchmark scan did not complete');
  await stats(servers);
  const steady: ChildResult[] = [];
  const bare: ChildResult[] = [];
  const ratios: number[] = [];
  let findingEvents = 0;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['stateful', 'bare'] as const) : (['bare', 'stateful'] as const);
    const results: Partial<Record<'stateful' | 'bare', ChildResult>> = {};
    for (const mode of order) {
      results[mode] = await runChild(bundle, servers, mode, mode === 'stateful' ? table : undefined);
      if (mode === 'stateful') findingEvents += (await stats(servers)).findingEvents;
      else await stats(servers);
    }
    const s = results.stateful as ChildResult;
    const b = results.bare as ChildResult;
    steady.push(s);
    bare.push(b);
    ratios.push(s.ms / b.ms);
  }
  const newFindings = first.transitions.opened;
  return {
    snapshots: first.snapshots,
    newFindings,
    firstScanMs: first.ms,
    firstBatchWriteCalls: first.store.batchWriteCalls,
    firstReadCalls: first.store.readCalls,
    firstItemsWritten: first.store.itemsWritten,
    writeRatio: first.store.batchWriteCalls / Math.ceil(newFindings / 25),
    steadyMedianMs: median(steady.map((r) => r.ms)),
    bareMedianMs: median(bare.map((r) => r.ms)),
    steadyRatio: median(ratios),
    steadyFindingEvents: findingEvents,
    steadyItemsWritten: steady.reduce((n, r) => n + (r.store?.itemsWritten ?? 0), 0),
    steadyReadCalls: median(steady.map((r) => r.store?.readCalls ?? 0)),
    rounds,
  };
}

/** Peak RSS of a steady-state scan with every finding of the fleet open in the table (fresh process). */
export async function measureLifecycleMemory(
  bundle: string,
  servers: Servers,
): Promise<ChildResult & { openInTable: number }> {
  const table = await freshTable(servers);
  const first = await runChild(bundle, servers, 'stateful', table);
  if (!first.ok) throw new Error('the populating scan did not complete');
  const second = await runChild(bundle, servers, 'stateful', table);
  return { ...second, openInTable: first.transitions?.opened ?? 0 };
}
