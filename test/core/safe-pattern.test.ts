/**
 * Patterns from policy and targets files run against names anyone who can create a snapshot (or a
 * project) chooses: they must not be able to hang a scan (issue 23, item 4).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/domain/snapshot';
import { DETAIL_TYPES } from '../../lib/events/contract';
import { parsePolicy } from '../../lib/policy/load';
import { createPolicy, judgeSnapshot } from '../../lib/policy/policy';
import { selectDiscovered } from '../../lib/scan/plan';
import { parseTargets } from '../../lib/targets/load';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';

let fleet: Fleet;
let emulator: RunningEmulator;
const EVIL_NAME = `${'a'.repeat(40)}!`;

beforeAll(async () => {
  fleet = generateFleet({ seed: 'redos', size: 300, projects: 1, now: Date.now() });
  const project = fleet.projects[0] as (typeof fleet.projects)[number];
  // Hostile names next to a harmless one the pattern does match.
  project.snapshots[0] = { ...(project.snapshots[0] as Snapshot), name: EVIL_NAME };
  project.snapshots[1] = { ...(project.snapshots[1] as Snapshot), name: 'aaaa', status: 'error' };
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } });
});
afterAll(() => emulator.close());

function scanCli(
  args: string[],
  killAfterMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/scan.ts', ...args], {
      env: {
        PATH: process.env.PATH,
        EVS_ENDPOINT: emulator.url,
        EVS_AUTH: 'noauth',
        SCAN_PROJECT_IDS: fleet.projects[0]?.projectId,
        AWS_REGION: 'eu-west-1',
        LOG_LEVEL: 'silent',
      },
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const policyFile = (yaml: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'redos-')), 'policy.yml');
  writeFileSync(file, yaml);
  return file;
};

const snapshotNamed = (name: string, metadata: Record<string, string> = {}): Snapshot => ({
  id: 's',
  status: 'error',
  name,
  description: null,
  created_at: '2026-01-01T00:00:00',
  updated_at: null,
  metadata,
  volume_id: 'v',
  size: 1,
});

describe('policy and discovery patterns cannot hang a scan', () => {
  it('npm run scan -- --dry-run with name pattern ^(a+)+$ finishes on a snapshot named "a"×40 + "!", and flags the names that do match', async () => {
    const file = policyFile(
      'version: 1\nrules:\n  - { name: as, finding: ERROR_STATUS, severity: high, match: { name: { pattern: "^(a+)+$" } } }\n',
    );
    const { code, stdout, stderr, ms } = await scanCli(
      ['--dry-run', '--timeout-seconds', '20', '--policy', file],
      40_000,
    );
    expect(code, stderr).toBe(0);
    expect(ms).toBeLessThan(20_000);
    const flagged = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e['detail-type'] === DETAIL_TYPES.finding)
      .map((e) => e.detail.snapshot.name);
    expect(flagged).toContain('aaaa');
    expect(flagged).not.toContain(EVIL_NAME);
  }, 60_000);

  it('a metadata pattern (a|aa)+$ judges a value of 5,000 a\'s and a "!" without backtracking', () => {
    const policy = createPolicy(
      parsePolicy(
        'version: 1\nrules:\n  - { name: m, finding: ERROR_STATUS, severity: high, match: { metadata: { k: { pattern: "(a|aa)+$" } } } }\n',
        'policy.yml',
      ),
    );
    const project = policy.forProject('default', 'p');
    expect(judgeSnapshot(project, snapshotNamed('x', { k: 'aa' }), Date.now(), undefined)).toMatchObject({ rule: 'm' });
    expect(
      judgeSnapshot(project, snapshotNamed('x', { k: `${'a'.repeat(60)}!` }), Date.now(), undefined),
    ).toBeUndefined();
    // Past 1,024 characters a value is not matched at all.
    expect(judgeSnapshot(project, snapshotNamed('x', { k: 'a'.repeat(1_025) }), Date.now(), undefined)).toBeUndefined();
  });

  it.each([
    ['a backreference', '(a)\\\\1', 'invalid escape sequence'],
    ['a lookahead', '^(?=a)a', 'unsupported Perl syntax'],
    ['a pattern that does not parse', '((', 'missing closing )'],
  ])(
    'refuses %s in a policy file with exit 2, naming the file, line and field',
    async (_what, pattern, why) => {
      const file = policyFile(
        `version: 1\nrules:\n  - name: r\n    finding: STALE\n    severity: low\n    match: { name: { pattern: "${pattern}" } }\n`,
      );
      const { code, stderr } = await scanCli(['--dry-run', '--policy', file], 30_000);
      expect(code).toBe(2);
      expect(stderr).toContain(`configuration error: ${file}:6:`);
      expect(stderr).toContain(
        'rules[0].match.name.pattern is not a valid regular expression with linear-time (RE2) semantics',
      );
      expect(stderr).toContain(why);
    },
    40_000,
  );

  it('discovery patterns from the targets file run in linear time and refuse what RE2 cannot do', () => {
    const defaults = {
      timeoutMs: 1_000,
      maxBodyBytes: 1_048_576,
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      credentialsMaxAgeSeconds: 300,
      concurrency: 3,
    };
    const targets = (namePattern: string) =>
      `targets:\n  - name: a\n    endpoint: http://x\n    auth: { mode: noauth }\n    identityEndpoint: http://k\n    discover: { namePattern: '${namePattern}' }\n`;
    const [target] = parseTargets(targets('^(a+)+$'), 'targets.yml', defaults);
    const discovered = selectDiscovered(
      [
        { id: 'p1', name: EVIL_NAME, enabled: true },
        { id: 'p2', name: 'aaa', enabled: true },
      ],
      target?.discover as NonNullable<typeof target>['discover'] & object,
    );
    expect(discovered).toEqual(['p2']);
    expect(() => parseTargets(targets('(x)\\1'), 'targets.yml', defaults)).toThrow(
      /targets\.yml:6:\d+: targets\[0\]\.discover\.namePattern is not a valid regular expression with linear-time \(RE2\) semantics/,
    );
  });
});
