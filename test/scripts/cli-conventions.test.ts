import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '../../lib/events/contract';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (or until `until` says so, then stops it) and collects its output. */
function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  until?: (stdout: string) => boolean,
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: {
        PATH: process.env.PATH,
        LOG_LEVEL: 'silent',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
      if (until?.(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const cli = (name: string, args: string[], env?: Record<string, string>, until?: (stdout: string) => boolean) =>
  run('node_modules/.bin/tsx', [`scripts/${name}.ts`, ...args], env, until);

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string };

describe.each([
  ['scan', ['--timeout-seconds', 'abc'], '--timeout-seconds must be an integer from 1 to 86400, got "abc"'],
  ['report', ['--timeout-seconds', '0'], '--timeout-seconds must be an integer from 1 to 86400, got "0"'],
  ['emulator', ['--size', '-3'], '--size must be an integer from 1 to 10000000, got "-3"'],
])('npm run %s', (name, badValue, badValueLine) => {
  it('--help prints its usage, every option and the exit codes on stdout, and exits 0', async () => {
    const { code, stdout, stderr } = await cli(name, ['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(new RegExp(`^Usage: npm run ${name} -- \\[options\\]\\n`));
    for (const option of ['--help', '--version', '--json', badValue[0] as string])
      expect(stdout).toContain(`  ${option}`);
    expect(stdout).toContain('Exit codes: 0 ');
  });

  it("--version prints the project's name and version and exits 0", async () => {
    const { code, stdout } = await cli(name, ['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${pkg.name} ${pkg.version}\n`);
  });

  it('an unknown option is one line naming it, exit 2, no stack trace', async () => {
    const { code, stdout, stderr } = await cli(name, ['--no-such-option']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`${name}: unknown option --no-such-option (npm run ${name} -- --help)\n`);
  });

  it('a bad value is one line naming the option and the value, exit 2', async () => {
    const { code, stderr } = await cli(name, badValue);
    expect(code).toBe(2);
    expect(stderr).toBe(`${name}: ${badValueLine} (npm run ${name} -- --help)\n`);
  });
});

describe('the commands through npm, as the README runs them', () => {
  it('npm run scan -- --help exits 0 with the usage; --no-such-option exits 2 with one line', async () => {
    const help = await run('npm', ['run', '--silent', 'scan', '--', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run scan -- \[options\]/);
    const bad = await run('npm', ['run', '--silent', 'scan', '--', '--no-such-option']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['scan: unknown option --no-such-option (npm run scan -- --help)']);
  });
});

describe('--json: one JSON document on stdout, for scripts', () => {
  let fleet: Fleet;
  let emulator: RunningEmulator;
  let env: Record<string, string>;
  beforeAll(async () => {
    fleet = generateFleet({ seed: 'cli-json', size: 1_200, projects: 2, now: Date.now() });
    emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } });
    env = {
      EVS_ENDPOINT: emulator.url,
      EVS_AUTH: 'noauth',
      SCAN_PROJECT_IDS: fleet.projects.map((p) => p.projectId).join(','),
    };
  });
  afterAll(() => emulator.close());

  it("scan --dry-run --json prints the run's summary with its events, and nothing else on stdout", async () => {
    const { code, stdout, stderr } = await cli('scan', ['--dry-run', '--json', '--quiet'], env);
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.ok).toBe(true);
    expect(
      summary.projects.map((p: { projectId: string; snapshotsRead: number }) => [p.projectId, p.snapshotsRead]),
    ).toEqual(fleet.projects.map((p) => [p.projectId, p.snapshots.length]));
    expect(
      summary.events.filter((e: { 'detail-type': string }) => e['detail-type'] === DETAIL_TYPES.finding),
    ).toHaveLength(fleet.expected.size);
    // The table is still there for people, on stderr.
    expect(stderr).toContain(`scan ${summary.scanId}: ok`);
  });

  it('report --json prints the totals, the files written and the projects left out', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cli-report-'));
    const { code, stdout, stderr } = await cli('report', ['--json', '--out', out], env);
    expect(code, stderr).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.totals.snapshots).toBe(fleet.projects.reduce((n, p) => n + p.snapshots.length, 0));
    expect(doc.leftOut).toEqual([]);
    expect(doc.written.length).toBeGreaterThanOrEqual(4);
    for (const path of doc.written) expect(existsSync(path), path).toBe(true);
  });

  it('emulator --json prints where it listens and what it serves once it is up', async () => {
    const { stdout } = await cli(
      'emulator',
      ['--json', '--quiet', '--port', '0', '--size', '300', '--seed', 'cli-json'],
      {},
      (s) => s.endsWith('\n'),
    );
    const doc = JSON.parse(stdout) as {
      url: string;
      shouldFlag: number;
      projects: Array<{ projectId: string; snapshots: number; url: string }>;
    };
    expect(doc.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(doc.projects.reduce((n, p) => n + p.snapshots, 0)).toBe(300);
    expect(doc.shouldFlag).toBe(
      generateFleet({ seed: 'cli-json', size: 300, projects: 2, now: Date.now() }).expected.size,
    );
  });
});
