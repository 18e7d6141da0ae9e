import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { runScript } from '../helpers/cli';

let emulator: RunningEmulator;
let projects: string[];
let flaggedGb = 0;

beforeAll(async () => {
  const fleet = generateFleet({ seed: 'notify-cli', size: 600, projects: 2, now: Date.now() });
  // Three owners in metadata, spread over the fleet.
  for (const p of fleet.projects)
    for (const [i, s] of p.snapshots.entries())
      s.metadata = { ...s.metadata, owner: ['team-a', 'team-b', 'team-c'][i % 3] as string };
  projects = fleet.projects.map((p) => p.projectId);
  flaggedGb = fleet.projects
    .flatMap((p) => p.snapshots)
    .filter((s) => fleet.expected.has(s.id))
    .reduce((n, s) => n + s.size, 0);
  emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } });
});
afterAll(() => emulator.close());

function notifyCli(args: string[], env: Record<string, string> = {}): ReturnType<typeof runScript> {
  return runScript('scripts/notify.ts', args, {
    EVS_ENDPOINT: emulator.url,
    EVS_AUTH: 'noauth',
    SCAN_PROJECT_IDS: projects.join(','),
    AWS_REGION: 'eu-west-1',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

describe('npm run notify -- --dry-run', () => {
  it('shows what each route would receive for the current fleet, without sending anything', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'routes-')), 'routes.yml');
    writeFileSync(
      file,
      `version: 1
routes:
${['team-a', 'team-b']
  .map(
    (team) =>
      `  - name: ${team}\n    match: { owner: [${team}] }\n    delivery: { mode: digest, window: 1h }\n    destinations: [{ kind: webhook, name: ${team}-hook, url: "http://127.0.0.1:9/never" }]`,
  )
  .join('\n')}
  - name: everyone-else
    delivery: { mode: immediate }
    destinations: [{ kind: slack, name: ops, url: "http://127.0.0.1:9/never" }]
`,
    );
    const { code, stdout, stderr } = await notifyCli(['--dry-run', '--routes', file, '--max-lines', '3']);
    expect(code).toBe(0);
    const headlines = stdout.split('\n').filter((l) => l.startsWith('NOTIFY '));
    expect(headlines.map((l) => /^NOTIFY ([\w-]+): /.exec(l)?.[1])).toEqual(['team-a', 'team-b', 'everyone-else']);
    expect(headlines[0]).toMatch(/→ team-a-hook \(webhook\)/);
    expect(headlines[2]).toMatch(/→ ops \(slack\)/);
    // Each route lists only its own owner's findings.
    for (const [team, route] of [
      ['team-a', 'team-a'],
      ['team-b', 'team-b'],
      ['team-c', 'everyone-else'],
    ] as const) {
      const section = stdout.split('\n\n').find((s) => s.startsWith(`NOTIFY ${route}:`)) ?? '';
      const owners = [...section.matchAll(/, owner ([\w-]+);/g)].map((m) => m[1]);
      expect(owners.length, route).toBe(3);
      expect(new Set(owners), route).toEqual(new Set([team]));
      expect(section, route).toMatch(/… and \d+ more/);
    }
    expect(stderr).toMatch(/3 of 3 routes would receive a message/);
  }, 60_000);

  it('shows what the new findings cost per month where prices are configured: their GB × the price', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'notify-prices-'));
    writeFileSync(
      join(dir, 'routes.yml'),
      'version: 1\nroutes:\n  - name: all\n    delivery: { mode: digest, window: 1h }\n    destinations: [{ kind: webhook, name: hook, url: "http://127.0.0.1:9/never" }]\n',
    );
    writeFileSync(join(dir, 'prices.yml'), 'currency: USD\npricePerGbMonth: 0.05\n');
    const priced = await notifyCli(['--dry-run', '--routes', join(dir, 'routes.yml')], {
      PRICES_FILE: join(dir, 'prices.yml'),
    });
    expect(priced.code).toBe(0);
    expect(flaggedGb).toBeGreaterThan(0);
    expect(priced.stdout).toContain(
      `  cost: USD ${(Math.round(flaggedGb * 5) / 100).toFixed(2)}/month in new findings`,
    );
    const unpriced = await notifyCli(['--dry-run', '--routes', join(dir, 'routes.yml')]);
    expect(unpriced.code).toBe(0);
    expect(unpriced.stdout).toMatch(/^NOTIFY all: \d+ new/m);
    expect(unpriced.stdout).not.toContain('cost:');
  }, 60_000);
});
