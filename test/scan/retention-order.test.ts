/**
 * An upstream that does not list newest first: the scanner cannot rank a volume as its snapshots
 * arrive, so it lists that volume again by volume_id once the listing is complete, and flags the
 * same snapshots, each once, with the snapshot as listed.
 */
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { DETAIL_TYPES, type FindingDetail } from '../../lib/events/contract';
import { parsePolicy } from '../../lib/policy/load';
import { createPolicy } from '../../lib/policy/policy';
import { createPrintingSink } from '../../lib/scan/dry-run';
import { runScan } from '../../lib/scan/run-scan';
import type { SnapshotLister, VolumeLister } from '../../lib/upstream/client';
import { compareCinderOrder } from '../../tools/emulator/fleet';
import { generatePolicyFleet } from '../../tools/emulator/policy-fleet';

const PROJECT = 'b1b2c3d4e5f60718293a4b5c6d7e8f90';
const EXAMPLE =
  'version: 1\nrules:\n  - name: keep-seven-per-disk\n    finding: EXCESS_RETENTION\n    severity: low\n    match: { status: [available], keepNewestPerVolume: 7 }\n';

/** Lists snapshots in the order given (pages by marker), filtered by volume_id as Cinder filters, and counts the requests. */
function listerOf(all: Snapshot[]) {
  const requests: Array<string | undefined> = [];
  const lister: SnapshotLister & VolumeLister = {
    async listSnapshotsPage(_projectId, query) {
      requests.push(query.volume_id);
      const rows = query.volume_id ? all.filter((s) => s.volume_id === query.volume_id) : all;
      const from = query.marker ? rows.findIndex((s) => s.id === query.marker) + 1 : 0;
      const page = rows.slice(from, from + (query.limit ?? 1000));
      return {
        snapshots: page,
        nextMarker: from + page.length < rows.length ? page.at(-1)?.id : undefined,
        requestId: undefined,
      };
    },
    async listVolumesPage() {
      return { items: [], nextMarker: undefined, requestId: undefined };
    },
  };
  return { lister, requests };
}

async function scan(all: Snapshot[]) {
  const { lister, requests } = listerOf(all);
  const lines: string[] = [];
  await runScan(
    { createSink: () => createPrintingSink((l) => lines.push(l)) },
    {
      scanId: 's',
      units: [{ target: 'default', region: 'r', projectId: PROJECT, lister }],
      policy: createPolicy(parsePolicy(EXAMPLE, 'p.yml')),
      source: 'test',
      concurrency: 1,
      pageSize: 5,
      maxPages: 1_000,
      deadline: Date.now() + 30_000,
      reserveMs: 1_000,
    },
  );
  const findings = lines
    .map((l) => JSON.parse(l))
    .filter((e) => e['detail-type'] === DETAIL_TYPES.finding)
    .map((e) => e.detail as FindingDetail);
  return { findings, requests };
}

describe('ranking volumes an upstream lists out of created_at order', () => {
  it('flags the same snapshots as a newest-first listing, each once, listing only the out-of-order volumes again', async () => {
    const fleet = generatePolicyFleet(PROJECT, Date.now());
    const newestFirst = [...fleet.project.snapshots].sort(compareCinderOrder);
    // One volume's snapshots oldest first, at the end of the listing; every other volume in Cinder's order.
    const [shuffledVolume] = fleet.tenSnapshotVolumes as [string];
    const mixed = [
      ...newestFirst.filter((s) => s.volume_id !== shuffledVolume),
      ...newestFirst.filter((s) => s.volume_id === shuffledVolume).reverse(),
    ];

    const inOrder = await scan(newestFirst);
    const outOfOrder = await scan(mixed);
    const ranks = (r: typeof inOrder) => new Map(r.findings.map((f) => [f.snapshot?.id, f.retention?.rank]));
    expect(ranks(outOfOrder)).toEqual(ranks(inOrder));
    expect(outOfOrder.findings.length).toBe(new Set(outOfOrder.findings.map((f) => f.findingId)).size);
    expect(inOrder.requests.filter(Boolean)).toEqual([]);
    expect(outOfOrder.requests.filter(Boolean)).toEqual([shuffledVolume, shuffledVolume]);
    // As listed: the snapshot's own fields, not a reconstruction.
    const late = outOfOrder.findings.filter((f) => f.snapshot?.volume_id === shuffledVolume);
    expect(late.map((f) => f.snapshot?.name)).toEqual(['daily-8', 'daily-9', 'daily-10']);
    expect(
      late.every(
        (f) => f.snapshot?.created_at === fleet.project.snapshots.find((s) => s.id === f.snapshot?.id)?.created_at,
      ),
    ).toBe(true);
  });
});
