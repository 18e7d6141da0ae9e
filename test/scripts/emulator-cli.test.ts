import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { generateFleet } from '../../tools/emulator/fleet';

/** Starts `npm run emulator` on a free port, reads its start-up lines, and stops it. */
function startEmulatorCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('node_modules/.bin/tsx', ['scripts/emulator.ts', '--port', '0', ...args], {
      env: { PATH: process.env.PATH },
    });
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no start-up line: ${err}`));
    }, 20_000);
    child.stderr.on('data', (c) => {
      err += c;
      if (/should flag \d+ snapshots/.test(err)) {
        clearTimeout(timer);
        child.kill('SIGTERM');
        resolve(err);
      }
    });
  });
}

describe('npm run emulator', () => {
  it('ages its fleet from --now, so its count of snapshots to flag is right for that time', async () => {
    const now = '2027-03-01T08:00:00Z';
    const out = await startEmulatorCli(['--size', '2000', '--now', now]);
    const expected = generateFleet({ seed: 'local', size: 2000, projects: 2, now: Date.parse(now) }).expected.size;
    expect(out).toContain(`a scan now should flag ${expected} snapshots`);
    expect(out).toContain('aged as of 2027-03-01T08:00:00.000Z');
  });

  it('ages its fleet from the current time by default, not from a fixed date', async () => {
    const before = Date.now();
    const out = await startEmulatorCli(['--size', '500']);
    const agedAs = Date.parse(/aged as of (\S+),/.exec(out)?.[1] ?? '');
    expect(agedAs).toBeGreaterThanOrEqual(before - 1_000);
    expect(agedAs).toBeLessThanOrEqual(Date.now());
  });
});
