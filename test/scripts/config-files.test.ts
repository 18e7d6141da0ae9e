/** Operator files that are hostile by size or shape: npm run scan refuses them with exit 2, naming the file (issue 23, item 10). */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'config-files-'));

function scanCli(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/scan.ts', '--dry-run', ...args], {
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'eu-west-1',
        LOG_LEVEL: 'silent',
        NODE_OPTIONS: '--max-old-space-size=256',
        ...env,
      },
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** Nine levels of aliases, each naming the one before nine times: 9^9 (387 million) nodes once expanded. */
const aliasBomb = (top: string) => {
  const lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i <= 9; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n${top}\n`;
};

describe('policy and targets files that would exhaust the scanner', () => {
  it('a YAML alias bomb in the policy file exits 2 with the file and line, and no stack trace', async () => {
    const file = join(dir, 'bomb-policy.yml');
    writeFileSync(file, aliasBomb('version: 1\nrules: []'));
    const { code, stderr } = await scanCli({
      EVS_ENDPOINT: 'http://127.0.0.1:9',
      EVS_AUTH: 'noauth',
      SCAN_PROJECT_IDS: 'p1',
      SCAN_POLICY_FILE: file,
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(
      new RegExp(`configuration error: ${file}:2:\\d+: not a usable configuration file: .*alias`, 'i'),
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 70_000);

  it('a YAML alias bomb in the targets file exits 2 with the file and line', async () => {
    const file = join(dir, 'bomb-targets.yml');
    writeFileSync(file, aliasBomb('targets: []'));
    const { code, stderr } = await scanCli({ SCAN_TARGETS_FILE: file });
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`configuration error: ${file}:2:\\d+: not a usable configuration file`));
    expect(stderr).not.toMatch(/\n\s+at /);
  }, 70_000);

  it.each(['SCAN_POLICY_FILE', 'SCAN_TARGETS_FILE'])(
    'a 50 MB %s exits 2 naming the file, before parsing it',
    async (variable) => {
      const file = join(dir, `huge-${variable}.yml`);
      // A valid-looking file whose one list is 50 MB long.
      const item =
        '  - { name: r, finding: STALE, severity: low, match: { name: [aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa] } }\n';
      writeFileSync(file, `version: 1\nrules:\n${item.repeat(Math.ceil((50 * 1_048_576) / item.length))}`);
      const env: Record<string, string> =
        variable === 'SCAN_POLICY_FILE'
          ? { EVS_ENDPOINT: 'http://127.0.0.1:9', EVS_AUTH: 'noauth', SCAN_PROJECT_IDS: 'p1', SCAN_POLICY_FILE: file }
          : { SCAN_TARGETS_FILE: file };
      const { code, stderr } = await scanCli(env);
      expect(code).toBe(2);
      expect(stderr).toMatch(
        new RegExp(
          `configuration error: ${variable} names ${file}, which is \\d+ bytes; a configuration file may have at most 1048576`,
        ),
      );
    },
    70_000,
  );
});
