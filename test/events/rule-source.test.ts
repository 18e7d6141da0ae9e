import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SOURCE, DETAIL_TYPES } from '../../lib/events/contract';
import { type Fleet, generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type DeliveredEvent, startLocalEventBridge } from '../../tools/local/eventbridge';
import { loadRulePattern, loadRulePatterns } from '../../tools/local/rules';

const SOURCE = 'com.example.snapshot-sentinel';
const ruleFiles = readdirSync('events/rules')
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5));

describe('EVENT_SOURCE: events and the shipped rules carry the same source', () => {
  it('gives every rule file in events/rules/ the configured source, whatever the file says', () => {
    expect(ruleFiles.length).toBeGreaterThanOrEqual(1);
    const patterns = loadRulePatterns(SOURCE);
    expect(Object.keys(patterns).sort()).toEqual([...ruleFiles].sort());
    for (const name of ruleFiles) {
      expect(patterns[name]?.source, name).toEqual([SOURCE]);
      // The rest of the pattern is the file's.
      const { source: _ignored, ...own } = JSON.parse(readFileSync(`events/rules/${name}.json`, 'utf8'));
      expect(patterns[name]).toEqual({ source: [SOURCE], ...own });
    }
  });

  it('refuses a source EventBridge reserves for AWS, naming the setting', () => {
    expect(() => loadRulePatterns('aws.evs')).toThrow(
      'EVENT_SOURCE must be 1 to 256 characters and not start with "aws.", got "aws.evs"',
    );
    expect(() => loadRulePatterns('')).toThrow('EVENT_SOURCE must be');
  });

  it('deploys by default the source the scanner publishes by default', () => {
    const param = /^\s+eventSource: \$\{env:EVENT_SOURCE, '([^']+)'\}$/m.exec(
      readFileSync('serverless.yml', 'utf8'),
    )?.[1];
    expect(param).toBe(DEFAULT_SOURCE);
    expect(loadRulePattern('notifications', DEFAULT_SOURCE).source).toEqual([DEFAULT_SOURCE]);
  });

  it('still brings a finding from a non-default source to the notifications rule, and the old source no longer', async () => {
    const delivered: DeliveredEvent[] = [];
    const bus = await startLocalEventBridge({
      rules: [
        {
          name: 'notifications',
          pattern: loadRulePattern('notifications', SOURCE),
          deliver: (e) => void delivered.push(e),
        },
      ],
    });
    const client = new EventBridgeClient({
      endpoint: bus.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const finding = (source: string, id: string) => ({
        Source: source,
        DetailType: DETAIL_TYPES.finding,
        Detail: JSON.stringify({ id, severity: 'high', transition: 'OPENED' }),
        EventBusName: 'bus',
      });
      await client.send(new PutEventsCommand({ Entries: [finding(SOURCE, 'new'), finding(DEFAULT_SOURCE, 'old')] }));
      expect(delivered.map((e) => [e.source, (e.detail as { id: string }).id])).toEqual([[SOURCE, 'new']]);
    } finally {
      client.destroy();
      await bus.close();
    }
  });
});

describe('npm run scan -- --dry-run with EVENT_SOURCE set', () => {
  let fleet: Fleet;
  let emulator: RunningEmulator;
  beforeAll(async () => {
    fleet = generateFleet({ seed: 'event-source', size: 600, projects: 1, now: Date.now() });
    emulator = await startEmulator({ projects: fleet.projects, auth: { mode: 'noauth' } });
  });
  afterAll(() => emulator.close());

  it('prints every event with that source', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const child = spawn('node_modules/.bin/tsx', ['scripts/scan.ts', '--dry-run', '--quiet'], {
          env: {
            PATH: process.env.PATH,
            EVS_ENDPOINT: emulator.url,
            EVS_AUTH: 'noauth',
            SCAN_PROJECT_IDS: fleet.projects.map((p) => p.projectId).join(','),
            EVENT_SOURCE: SOURCE,
            LOG_LEVEL: 'silent',
            AWS_REGION: 'eu-west-1',
          },
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (c) => (out += c));
        child.stderr.on('data', (c) => (err += c));
        child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
      },
    );
    expect(code, stderr).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { source: string; 'detail-type': string });
    expect(events.filter((e) => e['detail-type'] === DETAIL_TYPES.finding)).toHaveLength(fleet.expected.size);
    expect(new Set(events.map((e) => e.source))).toEqual(new Set([SOURCE]));
  });
});
