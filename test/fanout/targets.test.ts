/**
 * Scan targets: the file's validation (errors name file, line and field), discovery through
 * Keystone's project list (AK/SK-signed against the emulator), the single-endpoint variables as
 * a target of one, the targets file from SSM, and on-demand scans (function and CLI).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScanSnapshotsHandler, scanSnapshotsDepsFromEnv } from '../../functions/scan-snapshots';
import { createLogger } from '../../lib/observability/log';
import { selectDiscovered } from '../../lib/scan/plan';
import { readScanRequest } from '../../lib/scan/request';
import { createSecretFetch } from '../../lib/secrets/reader';
import { parseTargets, projectOwnerOf, type ScanTarget } from '../../lib/targets/load';
import { createTargetCatalog } from '../../lib/wiring/catalog';
import { loadScanSettings } from '../../lib/wiring/settings/scanner';
import { generateFleet } from '../../tools/emulator/fleet';
import { type RunningEmulator, startEmulator } from '../../tools/emulator/server';
import { type LocalEventBridge, startLocalEventBridge } from '../../tools/local/eventbridge';
import { lambdaContext } from '../../tools/local/loopback';
import { type LocalSecrets, startLocalSecrets } from '../../tools/local/secrets';
import { startStateTable } from '../helpers/state';

const defaults = {
  timeoutMs: 1_000,
  maxBodyBytes: 1_048_576,
  retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  credentialsMaxAgeSeconds: 300,
  concurrency: 3,
};
const silent = () => createLogger({}, () => undefined, 'silent');
const KEYS = { ak: 'AKTARGETSFAKE0000001', sk: 'sk-targets-FAKE' };

let signed: RunningEmulator;
let plain: RunningEmulator;
let secrets: LocalSecrets;
let bus: LocalEventBridge;
let dir: string;
const projectsOf = (e: RunningEmulator) => e.store.projectIds();
const secretClients = () => {
  const config = {
    endpoint: secrets.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  return createSecretFetch({
    maxAgeSeconds: 300,
    secretsManager: new SecretsManagerClient(config),
    ssm: new SSMClient(config),
  });
};

beforeAll(async () => {
  const fleetA = generateFleet({ seed: 'targets-a', size: 120, projects: 4 });
  signed = await startEmulator({
    projects: fleetA.projects,
    auth: { mode: 'aksk', credentials: [KEYS] },
    projectNames: Object.fromEntries(
      fleetA.projects.map((p, i) => [p.projectId, i < 2 ? `eu-de_team${i}` : `eu-nl_team${i}`]),
    ),
  });
  plain = await startEmulator({
    projects: generateFleet({ seed: 'targets-b', size: 60, projects: 2 }).projects,
    auth: { mode: 'noauth' },
  });
  secrets = await startLocalSecrets();
  bus = await startLocalEventBridge();
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
  });
  dir = mkdtempSync(join(tmpdir(), 'targets-'));
});
afterAll(async () => {
  await Promise.all([signed.close(), plain.close(), secrets.close(), bus.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function targetsYaml(): string {
  const arn = secrets.putSecret('evs/targets', JSON.stringify(KEYS));
  return [
    'targets:',
    '  - name: signed',
    `    endpoint: ${signed.url}`,
    '    region: eu-de',
    `    auth: { mode: aksk, credentialsSecret: "${arn}" }`,
    '    discover: { regionPattern: "^eu-de$" }',
    `    identityEndpoint: ${signed.url}`,
    '  - name: plain',
    `    endpoint: ${plain.url}`,
    '    auth: { mode: noauth }',
    `    projects: [${projectsOf(plain).join(', ')}]`,
    '',
  ].join('\n');
}

describe('the targets file', () => {
  it.each([
    [
      'a missing secret',
      'targets:\n  - name: a\n    endpoint: http://x\n    auth:\n      mode: aksk\n    projects: [p1]\n',
      'targets.yml:5:7: targets[0].auth is missing "credentialsSecret"',
    ],
    [
      'an unknown field, where it is',
      'targets:\n  - name: a\n    endpoint: http://x\n    auth: { mode: noauth }\n    project: [p1]\n',
      'targets.yml:5:14: targets[0].project is not a field of this object',
    ],
    [
      'an unknown auth mode',
      'targets:\n  - name: a\n    endpoint: http://x\n    auth: { mode: magic }\n    projects: [p1]\n',
      'targets.yml:4:11: targets[0].auth "mode" must be aksk, token or noauth',
    ],
    [
      'neither projects nor discover',
      'targets:\n  - name: a\n    endpoint: http://x\n    auth: { mode: noauth }\n',
      'targets.yml:2:5: targets[0] must have either "projects" or "discover"',
    ],
    [
      'discovery without an identity endpoint',
      'targets:\n  - name: a\n    endpoint: http://x\n    auth: { mode: noauth }\n    discover: true\n',
      'needs "identityEndpoint"',
    ],
    [
      'a name used twice',
      'targets:\n  - { name: a, endpoint: "http://x", auth: { mode: noauth }, projects: [p] }\n  - { name: a, endpoint: "http://y", auth: { mode: noauth }, projects: [q] }\n',
      'targets.yml:3:13: targets[1].name "a" is used by another target',
    ],
    [
      'a bad pattern',
      '{"targets": [{"name": "a", "endpoint": "http://x", "auth": {"mode": "noauth"}, "discover": {"namePattern": "(("}, "identityEndpoint": "http://k"}]}',
      'targets.yml:1:108: targets[0].discover.namePattern is not a valid regular expression',
    ],
    [
      'a bad project id',
      'targets:\n  - name: a\n    endpoint: http://x\n    auth: { mode: noauth }\n    projects: ["../etc"]\n',
      'targets.yml:5:16: targets[0].projects[0] is not in a form this field takes: a project id (1 to 64 letters, digits, dashes or underscores), or { id, owner }',
    ],
    [
      'a project listed twice, once with its owner',
      'targets:\n  - name: a\n    endpoint: http://x\n    auth: { mode: noauth }\n    projects: [p1, { id: p1, owner: data-team }]\n',
      'targets.yml:5:15: targets[0].projects lists a project twice',
    ],
    [
      'an empty owner',
      'targets:\n  - name: a\n    endpoint: http://x\n    auth: { mode: noauth }\n    owner: ""\n    projects: [p1]\n',
      'targets.yml:5:12: targets[0].owner must NOT have fewer than 1 characters',
    ],
    ['broken YAML', 'targets: [ {name: a', 'targets.yml:1:20: not valid YAML or JSON'],
  ])('refuses %s, naming file, line, column and field', (_label, text, message) => {
    expect(() => parseTargets(text, 'targets.yml', defaults)).toThrow(message);
  });

  it('accepts the shipped example file as written', () => {
    const targets = parseTargets(
      readFileSync('lib/targets/targets.example.yml', 'utf8'),
      'targets.example.yml',
      defaults,
    );
    expect(targets.map((t) => [t.name, t.upstream.region, t.concurrency, t.projects?.length ?? 'discover'])).toEqual([
      ['hwc-eu-west-101', 'eu-west-101', 4, 'discover'],
      ['hwc-ap-southeast-3', 'ap-southeast-3', 3, 'discover'],
      ['otc-eu-de', 'eu-de', 2, 2],
      ['lab', 'lab-1', 3, 1],
    ]);
  });

  it("gives projects the owner the file names for them, else the target's", () => {
    const [t] = parseTargets(
      'targets:\n  - name: a\n    endpoint: http://x\n    auth: { mode: noauth }\n    owner: infra\n    projects: [p1, { id: p2, owner: data-team }, { id: p3 }]\n',
      'targets.yml',
      defaults,
    );
    expect(t?.projects).toEqual(['p1', 'p2', 'p3']);
    expect(['p1', 'p2', 'p3'].map((p) => projectOwnerOf(t as ScanTarget, p))).toEqual(['infra', 'data-team', 'infra']);
    const [bare] = parseTargets(
      'targets:\n  - { name: a, endpoint: "http://x", auth: { mode: noauth }, projects: [p1] }\n',
      'targets.yml',
      defaults,
    );
    expect(projectOwnerOf(bare as ScanTarget, 'p1')).toBeUndefined();
  });

  it('reads JSON and YAML alike, takes the region from the endpoint and the default cap', () => {
    const [t] = parseTargets(
      '{"targets": [{"name": "otc", "endpoint": "https://evs.eu-de.otc.t-systems.com/", "auth": {"mode": "token", "credentialsSecret": "ssm:/evs/otc"}, "projects": ["p1"]}]}',
      'targets.json',
      defaults,
    );
    expect(t).toMatchObject({
      name: 'otc',
      projects: ['p1'],
      concurrency: 3,
      upstream: {
        endpoint: 'https://evs.eu-de.otc.t-systems.com',
        region: 'eu-de',
        auth: { mode: 'secret', auth: 'token', secret: { store: 'ssm', id: '/evs/otc' } },
      },
    });
  });

  it('keeps the single-endpoint variables working as a target of one, and refuses mixing them with a file', () => {
    const settings = loadScanSettings({ EVS_ENDPOINT: plain.url, EVS_AUTH: 'noauth', SCAN_PROJECT_IDS: 'p1,p2' });
    expect(settings.targets).toMatchObject({
      kind: 'static',
      targets: [{ name: 'default', projects: ['p1', 'p2'], upstream: { endpoint: plain.url } }],
    });
    expect(() => loadScanSettings({ EVS_ENDPOINT: plain.url, SCAN_TARGETS_FILE: 'x.yml' })).toThrow(
      'EVS_ENDPOINT and SCAN_TARGETS_FILE are both set',
    );
    expect(() => loadScanSettings({ SCAN_TARGETS_FILE: join(dir, 'missing.yml') })).toThrow(
      /SCAN_TARGETS_FILE names .*missing.yml, which cannot be read \(ENOENT\)/,
    );
  });

  it('filters discovered projects by enabled, name and region (the name up to its first _)', () => {
    const found = [
      { id: 'a', name: 'eu-de', enabled: true },
      { id: 'b', name: 'eu-de_prod', enabled: true },
      { id: 'c', name: 'eu-nl_prod', enabled: true },
      { id: 'd', name: 'eu-de_old', enabled: false },
    ];
    expect(
      selectDiscovered(found, { identityEndpoint: 'x', namePattern: undefined, regionPattern: /^eu-de$/ }),
    ).toEqual(['a', 'b']);
    expect(selectDiscovered(found, { identityEndpoint: 'x', namePattern: /_prod$/, regionPattern: undefined })).toEqual(
      ['b', 'c'],
    );
  });
});

describe('discovery and on-demand scans', () => {
  it('discovers the projects an AK/SK from Secrets Manager can see (signed GET /v3/auth/projects), and plans every target', async () => {
    const file = join(dir, 'discover.yml');
    writeFileSync(file, targetsYaml());
    const catalog = createTargetCatalog(loadScanSettings({ SCAN_TARGETS_FILE: file }).targets, {
      fetchSecret: secretClients(),
    });
    const plan = await catalog.plan({}, Date.now() + 10_000);
    const euDe = projectsOf(signed).slice(0, 2).sort();
    expect(plan.failures).toEqual([]);
    expect(plan.items.map((i) => `${i.target}/${i.projectId}`)).toEqual([
      ...euDe.map((p) => `signed/${p}`),
      ...projectsOf(plain)
        .sort()
        .map((p) => `plain/${p}`),
    ]);
    expect(plan.caps).toEqual({ signed: 3, plain: 3 });
  });

  it('reads the targets file from an SSM parameter', async () => {
    secrets.putParameter('/sentinel/targets', targetsYaml());
    const settings = loadScanSettings({ SCAN_TARGETS_PARAMETER: 'ssm:/sentinel/targets' });
    const catalog = createTargetCatalog(settings.targets, { fetchSecret: secretClients() });
    expect((await catalog.targets()).map((t) => t.name)).toEqual(['signed', 'plain']);
  });

  it('scans only the targets and projects an invocation asks for, and a dry run writes and publishes nothing', async () => {
    const file = join(dir, 'on-demand.yml');
    writeFileSync(file, targetsYaml());
    const dynamo = await startStateTable();
    try {
      const deps = scanSnapshotsDepsFromEnv(
        { SCAN_TARGETS_FILE: file, EVENT_BUS_NAME: 'on-demand', FINDINGS_TABLE: dynamo.table, SCAN_RESERVE_MS: '200' },
        silent(),
        { fetchSecret: secretClients() },
      );
      const handler = createScanSnapshotsHandler(deps) as unknown as (
        e: unknown,
        c: Context,
      ) => Promise<{
        ok: boolean;
        dryRun?: boolean;
        projects: Array<{ target: string; projectId: string; complete: boolean }>;
      }>;
      const [one] = projectsOf(plain);
      const before = bus.received.length;
      const dry = await handler({ targets: ['plain'], projects: [one], dryRun: true }, lambdaContext(20_000));
      expect(dry).toMatchObject({
        ok: true,
        dryRun: true,
        projects: [{ target: 'plain', projectId: one, complete: true }],
      });
      expect(bus.received.length).toBe(before);
      const scanned = await handler({ targets: ['plain'], projects: [one] }, lambdaContext(20_000));
      expect(scanned.projects.map((p) => p.projectId)).toEqual([one]);
      const summaries = bus.received
        .slice(before)
        .filter((e) => e.DetailType === 'EVS Snapshot Scan Summary')
        .map((e) => JSON.parse(e.Detail));
      // Only the real run published, and its findings are new: the dry run wrote no state.
      expect(summaries).toHaveLength(1);
      expect(summaries[0]).toMatchObject({ target: 'plain', projectId: one, complete: true });
      expect(summaries[0].opened).toBeGreaterThan(0);
      await expect(handler({ targets: ['nowhere'] }, lambdaContext(5_000))).rejects.toThrow(
        'no target named nowhere (targets: signed, plain)',
      );
      await expect(handler({ targets: ['plain'], projects: ['0000'] }, lambdaContext(5_000))).rejects.toThrow(
        'project 0000 is not among the projects of plain',
      );
    } finally {
      await dynamo.close();
    }
  });

  it.each([
    [
      { target: ['a'] },
      'scan request: request has the field "target", which is not allowed (allowed: targets, projects, dryRun)',
    ],
    [{ targets: 'a' }, 'scan request: targets must be array'],
    [{ projects: ['a/b'] }, 'scan request: projects.0 must match pattern'],
    [{ dryRun: 'yes' }, 'scan request: dryRun must be boolean'],
  ])('refuses the on-demand request %j', (request, message) => {
    expect(() => readScanRequest(request)).toThrow(message);
  });

  it('takes a scheduled event, or nothing, as the full scan', () => {
    expect(readScanRequest({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} })).toEqual({});
    expect(readScanRequest(undefined)).toEqual({});
  });

  it('npm run scan -- --target T --project P --dry-run prints only that project', async () => {
    const file = join(dir, 'cli.yml');
    writeFileSync(file, targetsYaml().replace(/auth: \{ mode: aksk[^\n]*\n/, 'auth: { mode: noauth }\n'));
    const [one] = projectsOf(plain);
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        'node_modules/.bin/tsx',
        ['scripts/scan.ts', '--target', 'plain', '--project', one as string, '--dry-run', '--quiet'],
        { env: { PATH: process.env.PATH, SCAN_TARGETS_FILE: file, AWS_REGION: 'eu-west-1', LOG_LEVEL: 'silent' } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(out.code, out.stderr).toBe(0);
    const events = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(new Set(events.map((e) => `${e.detail.target}/${e.detail.projectId}`))).toEqual(new Set([`plain/${one}`]));
    expect(events.filter((e) => e['detail-type'] === 'EVS Snapshot Scan Summary')).toHaveLength(1);
  }, 60_000);
});
