/**
 * The report's OpenMetrics file as Prometheus's own tooling reads it: `promtool check metrics`
 * (Debian's prometheus package; scripts/ensure-promtool.sh) passes on it, hostile label values
 * included, while it fails the names the report used to have.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { readTimes } from '../../lib/domain/times';
import type { CleanupDetail } from '../../lib/events/contract';
import { parsePrices } from '../../lib/pricing/load';
import { assembleFleetReport, type ProjectReport } from '../../lib/report/fleet';
import { BYTES_PER_GB, renderOpenMetrics } from '../../lib/report/render';
import { createStatsAccumulator } from '../../lib/scan/stats';

const promtool = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';
const check = (text: string) => spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });

const HOSTILE_STATUS = 'a"b\\c\nd}{x="1"';
const HOSTILE_OWNER = 'team "x"\\ ,{evil="1"}';

function part(): ProjectReport {
  const stats = createStatsAccumulator(Date.parse('2026-12-01T00:00:00Z'));
  const snapshot = (id: string, status: string, size: number, owner?: string): Snapshot => ({
    id,
    status,
    name: 'n',
    description: null,
    created_at: '2026-01-01T00:00:00.000000',
    updated_at: null,
    metadata: owner ? { owner } : {},
    volume_id: 'v',
    size,
  });
  const add = (s: Snapshot, flagged: boolean) =>
    stats.add(
      s,
      readTimes(s),
      flagged
        ? {
            type: 'ERROR_STATUS',
            severity: 'high',
            rule: 'r',
            reason: 'x',
            thresholdMinutes: null,
            ageMinutes: null,
            measuredFrom: 'created_at',
          }
        : undefined,
    );
  add(snapshot('1', 'available', 10, HOSTILE_OWNER), false);
  add(snapshot('2', HOSTILE_STATUS, 30, '数据平台组'), true);
  add(snapshot('3', 'error', 7), true);
  return {
    reportVersion: '1.0',
    target: 'lab',
    region: 'eu-"de"',
    projectId: 'p1',
    scanId: 's',
    scannedAt: '2026-12-01T00:00:00.000Z',
    stats: stats.result(),
  };
}

describe('the OpenMetrics file', () => {
  // One confirmed deletion in November, as the cleanup's audit item records it: the removed-per-month gauges are in the file too.
  const deleted: CleanupDetail = {
    schemaVersion: '2.3',
    auditId: 'a1',
    action: 'DELETED',
    at: '2026-11-20T00:00:00.000Z',
    projectId: 'p1',
    region: 'eu-"de"',
    target: 'lab',
    runId: 'r',
    findingId: 'f',
    rule: 'r',
    snapshot: {
      id: 's',
      name: 'n',
      status: 'available',
      size: 40,
      volume_id: 'v',
      created_at: '2025-01-01T00:00:00.000000',
      updated_at: null,
    } as CleanupDetail['snapshot'],
    deleteAfter: null,
    approvedBy: null,
    owner: null,
    reason: 'deleted',
  };
  const report = assembleFleetReport([part()], new Date('2026-12-01T00:00:00Z'), {
    prices: parsePrices('currency: USD\npricePerGbMonth: 0.05\n', 'p.yml'),
    removals: [deleted],
  });
  const text = renderOpenMetrics(report);

  it('passes promtool check metrics, with hostile label values escaped', () => {
    const result = check(text);
    expect(result.error).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
    expect(text).toContain('status="a\\"b\\\\c\\nd}{x=\\"1\\""');
    expect(text).toContain('owner="team \\"x\\"\\\\ ,{evil=\\"1\\"}"');
    expect(text).toContain(`evs_cleanup_removed_size_bytes{month="2026-11"} ${40 * BYTES_PER_GB}`);
    expect(text).toContain('evs_cleanup_removed_monthly_cost{month="2026-11",currency="USD"} 2');
  });

  it('is what promtool would refuse without base units, so the check above can fail', () => {
    const old = text
      .replaceAll('evs_snapshot_size_bytes', 'evs_snapshot_size_gigabytes')
      .replace('# UNIT evs_snapshot_size_gigabytes bytes', '# UNIT evs_snapshot_size_gigabytes gigabytes');
    const result = check(old);
    expect(result.status).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain('use base unit "bytes" instead of "gigabytes"');
    expect(check(text.replace('status="available"', 'status="avail\nable"')).status).not.toBe(0);
  });

  it("gives sizes in bytes, openstack-exporter's label names, and money in a gauge of its own with the currency", () => {
    const samples = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(samples).toContain(
      `evs_snapshot_size_bytes{target="lab",region="eu-\\"de\\"",tenant_id="p1",status="available"} ${10 * BYTES_PER_GB}`,
    );
    expect(samples).toContain(
      'evs_snapshot_monthly_cost{target="lab",region="eu-\\"de\\"",tenant_id="p1",currency="USD",flagged="true"} 1.85',
    );
    expect(samples).toContain(
      'evs_snapshot_monthly_cost{target="lab",region="eu-\\"de\\"",tenant_id="p1",currency="USD",flagged="false"} 0.5',
    );
    expect(samples.some((l) => l.includes('project_id='))).toBe(false);
    expect(renderOpenMetrics(assembleFleetReport([part()], new Date()))).not.toContain('evs_snapshot_monthly_cost');
  });
});
