import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFleet } from '../../tools/emulator/fleet';
import { startEmulator } from '../../tools/emulator/server';
import { startLocalS3 } from '../../tools/local/s3';
import { startLocalSecrets } from '../../tools/local/secrets';
import { httpApiEvent } from '../helpers/events';
import { SAMPLE_PROJECT } from '../helpers/fleet';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'sls-package-'));
let resources: Record<string, { Type: string; Properties: Record<string, any> }>;
let templateText: string;
let conditions: Record<string, unknown>;
const CREDENTIALS_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:evs/prod-AbCdEf';
const WEBHOOK_ARN = 'arn:aws:ssm:eu-west-1:123456789012:parameter/alerts/webhook';
// Packaged with a source of its own, as an operator following EventBridge's reverse-DNS advice would.
const EVENT_SOURCE = 'com.example.snapshot-sentinel';
const CLEANUP_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:evs/prod-cleanup-XyZ123';
const FAKE_VALUES =
  /AKFAKEPACKAGE|sk-FAKE-package|pw-FAKE-package|sectok-FAKE-package|token-FAKE-package|hooks\.example\/FAKE/;

/** Evaluates the template's own conditions and Fn::If, the way CloudFormation would for this stage. */
function evaluate(node: any): any {
  if (Array.isArray(node)) return node.map(evaluate).filter((x) => x !== NO_VALUE);
  if (!node || typeof node !== 'object') return node;
  if ('Fn::If' in node) {
    const [name, yes, no] = node['Fn::If'];
    return evaluate(condition(conditions[name]) ? yes : no);
  }
  if (node.Ref === 'AWS::NoValue') return NO_VALUE;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, evaluate(v)]));
}
const NO_VALUE = Symbol('NoValue');
function condition(node: any): any {
  if (typeof node === 'string') return node;
  if ('Fn::Not' in node) return !condition(node['Fn::Not'][0]);
  if ('Fn::Equals' in node) return condition(node['Fn::Equals'][0]) === condition(node['Fn::Equals'][1]);
  if ('Fn::Select' in node) return condition(node['Fn::Select'][1])[node['Fn::Select'][0]];
  if ('Fn::Split' in node) return String(condition(node['Fn::Split'][1])).split(node['Fn::Split'][0]);
  throw new Error(`condition function not handled: ${JSON.stringify(node)}`);
}

beforeAll(async () => {
  // The real framework (osls) with serverless-esbuild, offline and without AWS credentials.
  const env = { ...process.env };
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'SCAN_RATE']) delete env[key];
  // A production stage packaged from a shell that also has every plain credential exported, to
  // see that none of them ends up in the template: the functions get references to secrets.
  Object.assign(env, {
    HUAWEICLOUD_SDK_AK: 'AKFAKEPACKAGE',
    HUAWEICLOUD_SDK_SK: 'sk-FAKE-package',
    HUAWEICLOUD_SDK_SECURITY_TOKEN: 'sectok-FAKE-package',
    EVS_TOKEN: 'token-FAKE-package',
    EVS_IAM_PASSWORD: 'pw-FAKE-package',
    ALERT_WEBHOOK_URL: 'https://hooks.example/FAKE',
    EVENT_SOURCE,
  });
  await run(
    'node_modules/.bin/serverless',
    [
      'package',
      '--stage',
      'prod',
      '--param',
      `credentialsSecret=${CREDENTIALS_ARN}`,
      '--param',
      `webhookSecret=${WEBHOOK_ARN}`,
      '--param',
      `cleanupCredentialsSecret=${CLEANUP_ARN}`,
      '--package',
      out,
    ],
    { env, timeout: 120_000 },
  );
  templateText = readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8');
  const template = JSON.parse(templateText);
  resources = template.Resources;
  conditions = template.Conditions;
}, 150_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Unzips a function's package once; its handler module and that module's size. */
function unpack(fn: string): { bundle: string; handlerBytes: number } {
  const dir = join(out, `unzipped-${fn}`);
  if (!existsSync(dir)) execFileSync('unzip', ['-q', join(out, `${fn}.zip`), '-d', dir]);
  const handler = readdirSync(join(dir, 'functions')).find(
    (f) => f !== 'secrets-aws.mjs' && f !== 'report-s3.mjs',
  ) as string;
  const bundle = join(dir, 'functions', handler);
  return { bundle, handlerBytes: statSync(bundle).size };
}

/** One invocation of a packaged handler in a fresh node, with exactly this environment. */
async function invokeBundle(
  bundle: string,
  env: Record<string, string | undefined>,
  event: unknown,
): Promise<{ statusCode: number; body: string }> {
  const script = `const { handler } = await import(${JSON.stringify(`file://${bundle}`)});
const context = { awsRequestId: 'packaged', functionName: 'packaged', getRemainingTimeInMillis: () => 10000 };
process.stdout.write(JSON.stringify(await handler(JSON.parse(process.env.EVENT), context)));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...env, EVENT: JSON.stringify(event) },
    timeout: 30_000,
  });
  return JSON.parse(stdout);
}

const byType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('serverless package', () => {
  it('bundles each function on its own, minified and small, with the secrets reader and the S3 report store as modules of their own that only the functions using them carry', () => {
    const sizes = Object.fromEntries(
      ['listSnapshots', 'scanSnapshots', 'notifier', 'findings', 'fleetReport'].map((f) => [
        f,
        statSync(join(out, `${f}.zip`)).size,
      ]),
    );
    expect(sizes.listSnapshots).toBeLessThan(200 * 1024);
    // The handler and its two modules loaded on first use (secrets, S3 report store).
    expect(sizes.scanSnapshots).toBeLessThan(600 * 1024);
    // The report also reads a price file (YAML/JSON checked by a JSON Schema, as the scanners read policies): yaml and ajv;
    // and the cleanup's audit trail with the DynamoDB document client: 476,763 bytes measured.
    expect(sizes.fleetReport).toBeLessThan(500 * 1024);
    // The DynamoDB, SQS and SNS clients, and the S3 client and presigner (loaded on first use) that
    // sign the digests' report links: about 536 KB measured.
    expect(sizes.notifier).toBeLessThan(580 * 1024);
    expect(sizes.findings).toBeLessThan(300 * 1024);
    expect(statSync(join(out, 'cleanupSnapshots.zip')).size).toBeLessThan(600 * 1024);
    const entries = (fn: string) =>
      Object.fromEntries(
        execFileSync('unzip', ['-Z1', join(out, `${fn}.zip`)], { encoding: 'utf8' })
          .trim()
          .split('\n')
          .map((name) => [name, true]),
      );
    for (const fn of ['listSnapshots', 'scanSnapshots', 'scanWorker', 'dispatchScans', 'notifier', 'cleanupSnapshots'])
      expect(entries(fn)['functions/secrets-aws.mjs'], fn).toBe(true);
    expect(entries('findings')['functions/secrets-aws.mjs']).toBeUndefined();
    expect(entries('fleetReport')['functions/secrets-aws.mjs']).toBeUndefined();
    // The notifier signs its digests' report links with the S3 client, loaded on first use.
    for (const fn of ['scanSnapshots', 'scanWorker', 'fleetReport', 'notifier'])
      expect(entries(fn)['functions/report-s3.mjs'], fn).toBe(true);
    for (const fn of ['listSnapshots', 'dispatchScans', 'findings', 'cleanupSnapshots'])
      expect(entries(fn)['functions/report-s3.mjs'], fn).toBeUndefined();
    // What a cold start compiles: the proxy's handler module without the SDK behind the secrets reader.
    expect(unpack('listSnapshots').handlerBytes).toBeLessThan(150 * 1024);
  });

  it('runs the packaged proxy as Lambda would: credentials from Secrets Manager (through AWS_ENDPOINT_URL_SECRETS_MANAGER), plain ones refused', async () => {
    const { bundle } = unpack('listSnapshots');
    const credentials = { ak: 'AKPACKAGEDFAKE000001', sk: 'sk-packaged-FAKE' };
    const secrets = await startLocalSecrets();
    const emulator = await startEmulator({
      projects: generateFleet({ seed: 'packaged', size: 12, projects: [SAMPLE_PROJECT] }).projects,
      auth: { mode: 'aksk', credentials: [credentials] },
    });
    try {
      const arn = secrets.putSecret('evs/packaged', JSON.stringify(credentials));
      const lambdaEnv = {
        PATH: process.env.PATH,
        AWS_LAMBDA_FUNCTION_NAME: 'evs-snapshot-sentinel-prod-listSnapshots',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        LOG_LEVEL: 'silent',
        POWERTOOLS_METRICS_DISABLED: 'true',
        EVS_ENDPOINT: emulator.url,
        EVS_AUTH: 'aksk',
        ALLOWED_PROJECT_IDS: SAMPLE_PROJECT,
      };
      const good = await invokeBundle(
        bundle,
        { ...lambdaEnv, EVS_CREDENTIALS_SECRET: arn, AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url },
        httpApiEvent({ query: 'limit=3' }),
      );
      expect(good.statusCode).toBe(200);
      expect(JSON.parse(good.body).snapshots).toHaveLength(3);
      expect(secrets.countCalls(arn)).toBe(1);
      const plain = await invokeBundle(
        bundle,
        { ...lambdaEnv, HUAWEICLOUD_SDK_AK: credentials.ak, HUAWEICLOUD_SDK_SK: credentials.sk },
        httpApiEvent({ query: 'limit=3' }),
      );
      expect(plain.statusCode).toBe(500);
      expect(JSON.parse(plain.body).computeFault.code).toBe('PROXY_MISCONFIGURED');
    } finally {
      await Promise.all([secrets.close(), emulator.close()]);
    }
  });

  it('serves the list and its detail form under /v2 and /v3, the version document and the OpenAPI document on the HTTP API, all with IAM authorization', () => {
    const routes = byType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(
      [
        'GET /',
        'GET /openapi.json',
        'GET /v2/{project_id}/snapshots',
        'GET /v2/{project_id}/snapshots/detail',
        'GET /v3/{project_id}/snapshots',
        'GET /v3/{project_id}/snapshots/detail',
        'GET /v2/{project_id}/findings',
        'POST /v2/{project_id}/findings/{finding_id}/suppression',
        'DELETE /v2/{project_id}/findings/{finding_id}/suppression',
        'POST /v2/{project_id}/findings/{finding_id}/approval',
        'DELETE /v2/{project_id}/findings/{finding_id}/approval',
        'POST /v2/{project_id}/findings/approval',
      ].sort(),
    );
    expect(new Set(routes.map((r) => r.AuthorizationType))).toEqual(new Set(['AWS_IAM']));
    const fns = byType('AWS::Lambda::Function').map(([, r]) => r.Properties);
    expect(new Set(fns.map((f) => f.Runtime))).toEqual(new Set(['nodejs24.x']));
  });

  it('schedules the dispatcher and the fleet report every 15 minutes by default, and runs the worker from the FIFO work queue, one item per invocation, with its own dead-letter queue', () => {
    const schedules = byType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    expect(
      schedules.map(([, r]) => [r.Properties.Targets[0].Arn['Fn::GetAtt'][0], r.Properties.ScheduleExpression]).sort(),
    ).toEqual([
      // Disabled unless the deployment turns cleanup on (below).
      ['CleanupSnapshotsLambdaFunction', 'rate(1 hour)'],
      ['DispatchScansLambdaFunction', 'rate(15 minutes)'],
      ['FleetReportLambdaFunction', 'rate(15 minutes)'],
      ['NotifierLambdaFunction', 'rate(1 minute)'],
    ]);
    expect(
      byType('AWS::Lambda::EventSourceMapping')
        .map(([, r]) => r.Properties)
        .filter((p) => p.FunctionName['Fn::GetAtt'][0] === 'ScanWorkerLambdaFunction'),
    ).toEqual([
      {
        BatchSize: 1,
        EventSourceArn: { 'Fn::GetAtt': ['ScanWorkQueue', 'Arn'] },
        FunctionName: { 'Fn::GetAtt': ['ScanWorkerLambdaFunction', 'Arn'] },
        Enabled: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      },
    ]);
    const queue = resources.ScanWorkQueue?.Properties;
    expect(queue).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['ScanWorkDeadLetterQueue', 'Arn'] }, maxReceiveCount: 3 },
    });
    // Above the worker's timeout, so a message is not delivered again while its scan still runs.
    expect(queue?.VisibilityTimeout).toBeGreaterThan(resources.ScanWorkerLambdaFunction?.Properties.Timeout);
    expect(resources.ScanWorkDeadLetterQueue?.Properties.FifoQueue).toBe(true);
    expect(resources.DispatchScansLambdaFunction?.Properties.Environment.Variables).toMatchObject({
      SCAN_QUEUE_URL: { Ref: 'ScanWorkQueue' },
      SCAN_CYCLE_MINUTES: '15',
    });
  });

  it('gives the scanner a role that may only PutEvents on its own bus', () => {
    const scanner = resources.ScanWorkerLambdaFunction?.Properties;
    expect(scanner?.Environment.Variables.NODE_OPTIONS).toBe('--max-semi-space-size=2 --max-old-space-size=231');
    // The old space V8 may grow to stays inside the function's memory (BENCHMARKS.md section 8).
    expect(231).toBeLessThan(scanner?.MemorySize);
    expect(scanner?.Role).toEqual({ 'Fn::GetAtt': ['ScannerRole', 'Arn'] });
    const statements = evaluate(resources.ScannerRole?.Properties.Policies).flatMap(
      (p: any) => p.PolicyDocument.Statement,
    );
    const put = statements.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('events:')));
    expect(put).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': ['SentinelBus', 'Arn'] } },
    ]);
    expect(byType('AWS::Events::EventBus')).toHaveLength(1);
  });

  it('sends every scanner and cleanup event through one rule to the notifications queue, and none raw to the alert topic', () => {
    const rules = byType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
    expect(
      rules.map(([name, r]) => [name, r.Properties.EventPattern, r.Properties.Targets.map((t: any) => t.Arn)]),
    ).toEqual([
      [
        'NotificationsRule',
        {
          source: [EVENT_SOURCE],
          'detail-type': [
            'EVS Snapshot Finding',
            'EVS Snapshot Scan Summary',
            'EVS Snapshot Scan Failed',
            'EVS Snapshot Cleanup',
          ],
        },
        [{ 'Fn::GetAtt': ['NotificationsQueue', 'Arn'] }],
      ],
    ]);
    expect(rules[0]?.[1].Properties.EventBusName).toEqual({ Ref: 'SentinelBus' });
    expect(resources.NotificationsQueuePolicy?.Properties.PolicyDocument.Statement[0].Condition).toEqual({
      ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['NotificationsRule', 'Arn'] } },
    });
    // The notifier reads the queue in batches, reporting the items it could not record; the schedule closes digest windows every minute.
    const sources = byType('AWS::Lambda::EventSourceMapping')
      .map(([, r]) => r.Properties)
      .filter((p) => p.FunctionName['Fn::GetAtt']?.[0] === 'NotifierLambdaFunction');
    expect(sources).toEqual([
      expect.objectContaining({
        EventSourceArn: { 'Fn::GetAtt': ['NotificationsQueue', 'Arn'] },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    ]);
    const schedules = byType('AWS::Events::Rule').filter(([, r]) =>
      r.Properties.Targets.some((t: any) => t.Arn['Fn::GetAtt']?.[0] === 'NotifierLambdaFunction'),
    );
    expect(schedules.map(([, r]) => r.Properties.ScheduleExpression)).toEqual(['rate(1 minute)']);
    expect(resources.NotifyDeadLetterQueue?.Properties).toMatchObject({ FifoQueue: true, SqsManagedSseEnabled: true });
    expect(resources.NotificationsQueue?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['NotificationsQueueDeadLetter', 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(resources.NotificationsTable?.Properties).toMatchObject({
      TableName: 'evs-snapshot-sentinel-prod-notifications',
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('deploys the findings table on demand, with point-in-time recovery and a TTL, as resources/findings-table.json defines it', () => {
    const table = resources.FindingsTable;
    expect(table?.Type).toBe('AWS::DynamoDB::Table');
    expect(table?.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      KeySchema: [
        { AttributeName: 'projectId', KeyType: 'HASH' },
        { AttributeName: 'findingId', KeyType: 'RANGE' },
      ],
    });
    const scanner = resources.ScanSnapshotsLambdaFunction?.Properties;
    expect(table?.Properties.TableName).toBe('evs-snapshot-sentinel-prod-findings');
    expect(scanner?.Environment.Variables.FINDINGS_TABLE).toBe('evs-snapshot-sentinel-prod-findings');
    expect(resources.FindingsLambdaFunction?.Properties.Environment.Variables.FINDINGS_TABLE).toBe(
      'evs-snapshot-sentinel-prod-findings',
    );
  });

  it('gives the scanner and the findings API only the table actions they use, on that table alone', () => {
    const tableStatements = (role: string) =>
      evaluate(resources[role]?.Properties.Policies)
        .flatMap((p: any) => p.PolicyDocument.Statement)
        .filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
    expect(tableStatements('ScannerRole')).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:Query',
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:UpdateItem',
          'dynamodb:PutItem',
          'dynamodb:DeleteItem',
          'dynamodb:DescribeTable',
        ],
        Resource: { 'Fn::GetAtt': ['FindingsTable', 'Arn'] },
      },
    ]);
    expect(tableStatements('DispatcherRole')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': ['FindingsTable', 'Arn'] },
      },
    ]);
    expect(tableStatements('FindingsApiRole')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
        Resource: { 'Fn::GetAtt': ['FindingsTable', 'Arn'] },
      },
    ]);
    expect(tableStatements('CleanupRole')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
        Resource: { 'Fn::GetAtt': ['FindingsTable', 'Arn'] },
      },
    ]);
    expect(resources.FindingsLambdaFunction?.Properties.Role).toEqual({ 'Fn::GetAtt': ['FindingsApiRole', 'Arn'] });
  });

  it('gives every shipped rule pattern the source the functions publish with (EVENT_SOURCE), so none goes deaf when it is set', () => {
    const patterns = byType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
    expect(patterns.length).toBe(1);
    for (const [name, r] of patterns) expect(r.Properties.EventPattern.source, name).toEqual([EVENT_SOURCE]);
    const publishers = byType('AWS::Lambda::Function').filter(
      ([, r]) => r.Properties.Environment?.Variables?.EVENT_BUS_NAME,
    );
    expect(publishers.map(([name]) => name).sort()).toEqual([
      'CleanupSnapshotsLambdaFunction',
      'DispatchScansLambdaFunction',
      'FindingsLambdaFunction',
      'ScanSnapshotsLambdaFunction',
      'ScanWorkerLambdaFunction',
    ]);
    for (const [name, r] of publishers)
      expect(r.Properties.Environment.Variables.EVENT_SOURCE, name).toBe(EVENT_SOURCE);
  });

  it('gives every rule target, the four schedules included, a retry policy and the dead-letter queue, encrypts the topic and archives the bus', () => {
    const rules = byType('AWS::Events::Rule');
    expect(rules.length).toBe(5);
    for (const [name, r] of rules) {
      for (const target of r.Properties.Targets) {
        expect(target.DeadLetterConfig, name).toEqual({ Arn: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] } });
        // A schedule tick is worth an hour of retries (the next one comes in 15 minutes); an event a day.
        expect(target.RetryPolicy, name).toEqual({
          MaximumRetryAttempts: 24,
          MaximumEventAgeInSeconds: r.Properties.ScheduleExpression ? 3600 : 86400,
        });
      }
    }
    expect(resources.EventsDeadLetterQueue?.Properties.SqsManagedSseEnabled).toBe(true);
    expect(resources.AlertTopic?.Properties.KmsMasterKeyId).toEqual({ Ref: 'AlertTopicKey' });
    expect(resources.SentinelBusArchive?.Properties).toMatchObject({
      SourceArn: { 'Fn::GetAtt': ['SentinelBus', 'Arn'] },
      RetentionDays: 30,
    });
  });

  it("keeps an invocation that still fails after Lambda's retries in the dead-letter queue, for every function invoked asynchronously (the four schedules)", () => {
    const toDeadLetters = { OnFailure: { Destination: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] } } };
    const invokeConfig = Object.fromEntries(
      byType('AWS::Lambda::EventInvokeConfig').map(([, r]) => [r.Properties.FunctionName.Ref, r.Properties]),
    );
    expect(Object.keys(invokeConfig).sort()).toEqual([
      'CleanupSnapshotsLambdaFunction',
      'DispatchScansLambdaFunction',
      'FleetReportLambdaFunction',
      'NotifierLambdaFunction',
    ]);
    for (const config of Object.values(invokeConfig))
      expect(config).toMatchObject({ MaximumRetryAttempts: 2, DestinationConfig: toDeadLetters });
    // Every function some rule invokes (asynchronously) has such a config.
    const invoked = byType('AWS::Events::Rule')
      .flatMap(([, r]) => r.Properties.Targets.map((t: any) => t.Arn?.['Fn::GetAtt']?.[0]))
      .filter((name: string | undefined) => name?.endsWith('LambdaFunction'));
    expect(new Set(invoked)).toEqual(new Set(Object.keys(invokeConfig)));
    // And the queue takes their messages: each rule may send to it, and each function's role may.
    const queuePolicy = resources.EventsDeadLetterQueuePolicy?.Properties.PolicyDocument.Statement[0];
    const sources = queuePolicy.Condition.ArnLike['aws:SourceArn'];
    for (const [name, r] of byType('AWS::Events::Rule')) {
      if (r.Properties.ScheduleExpression) expect(sources, name).toContainEqual({ 'Fn::GetAtt': [name, 'Arn'] });
      else
        expect(sources, name).toContainEqual({
          'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/evs-snapshot-sentinel-prod/*',
        });
    }
  });

  it('alarms to the topic on scanner errors and throttles, incomplete projects, undelivered events, proxy 5xx, the dead-letter queue and a missing heartbeat', () => {
    const alarms = Object.fromEntries(byType('AWS::CloudWatch::Alarm').map(([name, r]) => [name, r.Properties]));
    expect(Object.keys(alarms).sort()).toEqual([
      'CleanupBrakeAlarm',
      'DeadLetterQueueAlarm',
      'DispatcherErrorsAlarm',
      'EventsUndeliveredAlarm',
      'FleetReportErrorsAlarm',
      'NotificationsQueueDeadLetterAlarm',
      'NotifierErrorsAlarm',
      'NotifyDeadLetterAlarm',
      'ProjectsIncompleteAlarm',
      'ProxyServerErrorsAlarm',
      'ScanWorkDeadLetterAlarm',
      'ScannerErrorsAlarm',
      'ScannerHeartbeatAlarm',
      'ScannerThrottlesAlarm',
    ]);
    // A notification that could not be delivered within its bounds waits in the notify dead-letter queue: an alarm.
    expect(alarms.NotifyDeadLetterAlarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['NotifyDeadLetterQueue', 'QueueName'] } }],
      Threshold: 0,
    });
    for (const alarm of Object.values(alarms)) expect(alarm.AlarmActions).toEqual([{ Ref: 'AlertTopic' }]);
    expect(alarms.ProjectsIncompleteAlarm).toMatchObject({
      Namespace: 'EvsSnapshotSentinel',
      MetricName: 'ProjectsIncomplete',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarms.CleanupBrakeAlarm).toMatchObject({
      Namespace: 'EvsSnapshotSentinel',
      MetricName: 'CleanupBrakeTripped',
      Dimensions: [{ Name: 'service', Value: 'cleanup-snapshots' }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarms.EventsUndeliveredAlarm).toMatchObject({
      Namespace: 'EvsSnapshotSentinel',
      MetricName: 'EventsUndelivered',
      Threshold: 0,
    });
    // Twice the 15-minute schedule, and silence counts as breaching.
    expect(alarms.ScannerHeartbeatAlarm).toMatchObject({
      MetricName: 'ScansCompleted',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    expect(Number(alarms.ScannerHeartbeatAlarm?.Period)).toBe(1800);
    expect(
      alarms.ProxyServerErrorsAlarm?.Metrics.map(
        (m: any) => m.MetricStat?.Metric.Dimensions.find((d: any) => d.Name === 'StatusClass')?.Value,
      ).filter(Boolean),
    ).toEqual(['2xx', '4xx', '5xx']);
    expect(alarms.ScannerErrorsAlarm).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'ScanWorkerLambdaFunction' } }],
    });
    expect(alarms.DispatcherErrorsAlarm).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'DispatchScansLambdaFunction' } }],
    });
    expect(alarms.ScanWorkDeadLetterAlarm).toMatchObject({
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ScanWorkDeadLetterQueue', 'QueueName'] } }],
    });
  });

  it('deploys the scan-health dashboard kept in resources/dashboard.json, on the metrics the functions publish, and traces every function', () => {
    const body = resources.ScanHealthDashboard?.Properties.DashboardBody['Fn::Sub'] as string;
    const dashboard = JSON.parse(body.replaceAll('${AWS::Region}', 'eu-west-1'));
    expect(dashboard).toEqual(
      JSON.parse(readFileSync('resources/dashboard.json', 'utf8').replaceAll('${AWS::Region}', 'eu-west-1')),
    );
    const names = new Set(dashboard.widgets.flatMap((w: any) => w.properties.metrics.map((m: string[]) => m[1])));
    for (const metric of [
      'SnapshotsRead',
      'Findings',
      'FindingsOpened',
      'FindingsResolved',
      'ProjectsIncomplete',
      'EventsUndelivered',
      'UpstreamErrors',
      'Requests',
      'UpstreamLatency',
      'WorkDispatched',
      'ProjectsOverdue',
      'ApproximateAgeOfOldestMessage',
      'SnapshotGigabytes',
      'FlaggedGigabytes',
    ])
      expect(names).toContain(metric);
    // The queue widgets name the stack's own queues, resolved by Fn::Sub.
    expect(body).toContain('${ScanWorkQueue.QueueName}');
    expect(body).toContain('${ScanWorkDeadLetterQueue.QueueName}');
    for (const [, fn] of byType('AWS::Lambda::Function'))
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    for (const role of ['ScannerRole', 'DispatcherRole', 'FindingsApiRole', 'ReportRole']) {
      const actions = evaluate(resources[role]?.Properties.Policies)
        .flatMap((p: any) => p.PolicyDocument.Statement)
        .flatMap((st: any) => [st.Action].flat());
      expect(actions).toEqual(expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']));
    }
  });

  it('gives the notifier and the findings API none of the EVS settings or credentials', () => {
    for (const fn of ['NotifierLambdaFunction', 'FindingsLambdaFunction']) {
      const variables = resources[fn]?.Properties.Environment.Variables as Record<string, unknown>;
      expect(
        Object.keys(variables).filter((k) => /^(EVS_|HUAWEICLOUD_)/.test(k)),
        fn,
      ).toEqual([]);
    }
    expect(resources.NotifierLambdaFunction?.Properties.Environment.Variables).toMatchObject({
      ALERT_WEBHOOK_SECRET: WEBHOOK_ARN,
      ALERT_WEBHOOK_URL: '',
      ALLOW_PLAIN_SECRETS: 'false',
      NOTIFY_ROUTES_FILE: '',
      NOTIFICATIONS_TABLE: 'evs-snapshot-sentinel-prod-notifications',
      NOTIFY_DEAD_LETTER_QUEUE_URL: { Ref: 'NotifyDeadLetterQueue' },
      ALERT_TOPIC_ARN: { Ref: 'AlertTopic' },
      SCAN_CYCLE_MINUTES: '15',
      // The digests' report link (signed from the bucket) and money (the bundled price file).
      NOTIFY_REPORT_URL: '',
      REPORT_BUCKET: { Ref: 'ReportBucket' },
      REPORT_LINK_EXPIRES_HOURS: '168',
      PRICES_FILE: '',
    });
  });

  it('puts no credential value anywhere in a production template, only the references to the secrets', () => {
    expect(templateText).not.toMatch(FAKE_VALUES);
    for (const fn of [
      'ListSnapshotsLambdaFunction',
      'ScanSnapshotsLambdaFunction',
      'ScanWorkerLambdaFunction',
      'DispatchScansLambdaFunction',
    ]) {
      const variables = resources[fn]?.Properties.Environment.Variables as Record<string, string>;
      expect(variables.EVS_CREDENTIALS_SECRET, fn).toBe(CREDENTIALS_ARN);
      for (const name of [
        'HUAWEICLOUD_SDK_AK',
        'HUAWEICLOUD_SDK_SK',
        'HUAWEICLOUD_SDK_SECURITY_TOKEN',
        'EVS_TOKEN',
        'EVS_IAM_PASSWORD',
      ])
        expect(variables[name] ?? '', `${fn} ${name}`).toBe('');
      expect(variables.ALLOW_PLAIN_SECRETS).toBe('false');
    }
  });

  it('gives each function a role of its own with the minimum: its log group, X-Ray, and only the secret (and queue, and table) it uses', () => {
    const statements = (role: string) =>
      evaluate(resources[role]?.Properties.Policies).flatMap((p: any) => p.PolicyDocument.Statement);
    const logs = (fn: string) => ({
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: {
        'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/evs-snapshot-sentinel-prod-${fn}:*`,
      },
    });
    const xray = { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' };
    const readCredentials = { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: CREDENTIALS_ARN };
    expect(statements('ProxyRole')).toEqual([logs('listSnapshots'), xray, readCredentials]);
    const bus = { Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': ['SentinelBus', 'Arn'] } };
    expect(statements('ScannerRole')).toEqual([
      bus,
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:Query',
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:UpdateItem',
          'dynamodb:PutItem',
          'dynamodb:DeleteItem',
          'dynamodb:DescribeTable',
        ],
        Resource: { 'Fn::GetAtt': ['FindingsTable', 'Arn'] },
      },
      { Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Sub': '${ReportBucket.Arn}/projects/*' } },
      // What the presigned report link in each summary may open: that one object.
      { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Sub': '${ReportBucket.Arn}/fleet-report.html' } },
      {
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
        Resource: { 'Fn::GetAtt': ['ScanWorkQueue', 'Arn'] },
      },
      { ...logs('scanSnapshots'), Resource: [logs('scanSnapshots').Resource, logs('scanWorker').Resource] },
      xray,
      readCredentials,
    ]);
    expect(statements('DispatcherRole')).toEqual([
      {
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: [{ 'Fn::GetAtt': ['ScanWorkQueue', 'Arn'] }, { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] }],
      },
      bus,
      {
        Effect: 'Allow',
        Action: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': ['FindingsTable', 'Arn'] },
      },
      logs('dispatchScans'),
      xray,
      readCredentials,
    ]);
    expect(statements('NotifierRole')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: [{ 'Fn::GetAtt': ['NotificationsTable', 'Arn'] }, { 'Fn::Sub': '${NotificationsTable.Arn}/index/*' }],
      },
      {
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
        Resource: { 'Fn::GetAtt': ['NotificationsQueue', 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: [
          { 'Fn::GetAtt': ['NotifyDeadLetterQueue', 'Arn'] },
          { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] },
        ],
      },
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'AlertTopic' } },
      {
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        Resource: { 'Fn::GetAtt': ['AlertTopicKey', 'Arn'] },
      },
      // What the presigned report link in each digest may open: that one object.
      { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Sub': '${ReportBucket.Arn}/fleet-report.html' } },
      logs('notifier'),
      xray,
      { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: WEBHOOK_ARN },
    ]);
    expect(statements('FindingsApiRole')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
        Resource: { 'Fn::GetAtt': ['FindingsTable', 'Arn'] },
      },
      bus,
      logs('findings'),
      xray,
    ]);
    // The remediation function reads its own secret and the switch; never the scanner's secret.
    expect(statements('CleanupRole')).toEqual([
      bus,
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] } },
      {
        Effect: 'Allow',
        Action: ['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
        Resource: { 'Fn::GetAtt': ['FindingsTable', 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: 'ssm:GetParameter',
        Resource: {
          'Fn::Sub':
            'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/evs-snapshot-sentinel/prod/cleanup-switch',
        },
      },
      logs('cleanupSnapshots'),
      xray,
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: CLEANUP_ARN },
    ]);
    // The report function lists and reads the parts and the kept trend, queries the cleanup's audit trail, and writes the report: nothing else, no secret.
    expect(statements('ReportRole')).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': ['ReportBucket', 'Arn'] },
        Condition: { StringLike: { 's3:prefix': ['projects/*', 'history/trend.json'] } },
      },
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: [
          { 'Fn::Sub': '${ReportBucket.Arn}/projects/*' },
          { 'Fn::Sub': '${ReportBucket.Arn}/history/trend.json' },
        ],
      },
      {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: [{ 'Fn::Sub': '${ReportBucket.Arn}/fleet-report.*' }, { 'Fn::Sub': '${ReportBucket.Arn}/history/*' }],
      },
      // Only Query on the findings table: the cleanup's deletions per month, never a write.
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::GetAtt': ['FindingsTable', 'Arn'] } },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] } },
      logs('fleetReport'),
      xray,
    ]);
    const roles = Object.fromEntries(
      byType('AWS::Lambda::Function').map(([name, r]) => [name, r.Properties.Role['Fn::GetAtt'][0]]),
    );
    expect(roles).toEqual({
      ListSnapshotsLambdaFunction: 'ProxyRole',
      ScanSnapshotsLambdaFunction: 'ScannerRole',
      ScanWorkerLambdaFunction: 'ScannerRole',
      DispatchScansLambdaFunction: 'DispatcherRole',
      FindingsLambdaFunction: 'FindingsApiRole',
      NotifierLambdaFunction: 'NotifierRole',
      CleanupSnapshotsLambdaFunction: 'CleanupRole',
      FleetReportLambdaFunction: 'ReportRole',
    });
    expect(resources.FleetReportLambdaFunction?.Properties.Environment.Variables).toEqual({
      LOG_LEVEL: expect.any(String),
      REPORT_BUCKET: { Ref: 'ReportBucket' },
      AWS_ENDPOINT_URL_S3: '',
      PRICES_FILE: '',
      FINDINGS_TABLE: 'evs-snapshot-sentinel-prod-findings',
    });
    // No shared framework role that every function could use.
    expect(
      byType('AWS::IAM::Role')
        .map(([name]) => name)
        .sort(),
    ).toEqual([
      'CleanupRole',
      'DispatcherRole',
      'FindingsApiRole',
      'NotifierRole',
      'ProxyRole',
      'ReportRole',
      'ScannerRole',
    ]);
  });

  it('keeps cleanup off by default, and gives only the remediation function the credentials that may delete', () => {
    const cleanup = resources.CleanupSnapshotsLambdaFunction?.Properties.Environment.Variables as Record<
      string,
      unknown
    >;
    expect(cleanup).toMatchObject({
      CLEANUP_ENABLED: 'false',
      CLEANUP_CREDENTIALS_SECRET: CLEANUP_ARN,
      EVS_CREDENTIALS_SECRET: '',
      CLEANUP_SWITCH_PARAMETER: '/evs-snapshot-sentinel/prod/cleanup-switch',
      CLEANUP_MAX_PER_RUN: '50',
      CLEANUP_MAX_PERCENT_PER_RUN: '10',
    });
    const schedule = byType('AWS::Events::Rule').find(([, r]) =>
      JSON.stringify(r.Properties.Targets).includes('CleanupSnapshotsLambdaFunction'),
    );
    expect(schedule?.[1].Properties).toMatchObject({ ScheduleExpression: 'rate(1 hour)', State: 'DISABLED' });
    expect(resources.CleanupSwitch?.Properties).toMatchObject({
      Type: 'String',
      Name: '/evs-snapshot-sentinel/prod/cleanup-switch',
      Value: 'on',
    });
    // The remediation secret appears in its function and its role, nowhere else; the scanner's secret not there at all.
    for (const [name, resource] of Object.entries(resources)) {
      const text = JSON.stringify(name.endsWith('Role') ? evaluate(resource.Properties.Policies ?? []) : resource);
      if (name === 'CleanupSnapshotsLambdaFunction' || name === 'CleanupRole')
        expect(text, name).not.toContain(CREDENTIALS_ARN);
      else expect(text, name).not.toContain(CLEANUP_ARN);
    }
    for (const route of [
      'POST /v2/{project_id}/findings/{finding_id}/approval',
      'DELETE /v2/{project_id}/findings/{finding_id}/approval',
      'POST /v2/{project_id}/findings/approval',
    ]) {
      expect(
        byType('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === route)?.[1].Properties
          .AuthorizationType,
        route,
      ).toBe('AWS_IAM');
    }
  });

  it('keeps the report bucket private, encrypted and TLS-only, lets parts of removed projects and old history age out, and names it in the outputs', () => {
    const bucket = resources.ReportBucket?.Properties;
    expect(bucket).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [
          { Prefix: 'projects/', ExpirationInDays: 7, Status: 'Enabled' },
          { Prefix: 'history/', ExpirationInDays: 90, Status: 'Enabled' },
        ].map((r) => expect.objectContaining(r)),
      },
    });
    expect(resources.ReportBucketPolicy?.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
    for (const fn of ['ScanSnapshotsLambdaFunction', 'ScanWorkerLambdaFunction'])
      expect(resources[fn]?.Properties.Environment.Variables.REPORT_BUCKET, fn).toEqual({ Ref: 'ReportBucket' });
    expect(resources.DispatchScansLambdaFunction?.Properties.Environment.Variables.REPORT_BUCKET).toBeUndefined();
    expect(JSON.parse(templateText).Outputs.ReportBucketName).toEqual({ Value: { Ref: 'ReportBucket' } });
  });

  it('runs the packaged fleet report as Lambda would: Chart.js inlined, the S3 store loaded from its own module, the report written to the bucket, priced by PRICES_FILE', async () => {
    const dir = join(out, 'unzipped-fleetReport');
    if (!existsSync(dir)) execFileSync('unzip', ['-q', join(out, 'fleetReport.zip'), '-d', dir]);
    const s3 = await startLocalS3({ buckets: ['reports-packaged'] });
    try {
      const lambdaEnv = {
        PATH: process.env.PATH,
        AWS_LAMBDA_FUNCTION_NAME: 'evs-snapshot-sentinel-prod-fleetReport',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        LOG_LEVEL: 'silent',
        POWERTOOLS_METRICS_DISABLED: 'true',
        REPORT_BUCKET: 'reports-packaged',
        AWS_ENDPOINT_URL_S3: s3.url,
      };
      const result = (await invokeBundle(join(dir, 'functions', 'fleet-report.mjs'), lambdaEnv, {})) as unknown as {
        projects: number;
        files: string[];
      };
      expect(result).toMatchObject({
        projects: 0,
        files: [
          's3://reports-packaged/fleet-report.json',
          's3://reports-packaged/fleet-report.csv',
          's3://reports-packaged/fleet-report.html',
          's3://reports-packaged/fleet-report.prom',
        ],
      });
      expect(s3.text('reports-packaged', 'fleet-report.html')).toContain('Chart.js v4.6.1');
      // A price file, as config/prices.yml would be bundled (the schema is inlined in the bundle).
      const priced = (await invokeBundle(
        join(dir, 'functions', 'fleet-report.mjs'),
        { ...lambdaEnv, PRICES_FILE: join(process.cwd(), 'prices/example.yml') },
        {},
      )) as unknown as { money?: unknown };
      expect(priced.money).toEqual({ currency: 'USD', perMonth: 0, flaggedPerMonth: 0 });
      expect(s3.text('reports-packaged', 'fleet-report.html')).toContain('Amounts are upper bounds');
      expect(s3.text('reports-packaged', 'history/trend.json')).toContain('"points"');
      for (const fn of ['ScanSnapshotsLambdaFunction', 'ScanWorkerLambdaFunction', 'DispatchScansLambdaFunction'])
        expect(resources[fn]?.Properties.Environment.Variables, fn).toMatchObject({
          PRICES_FILE: '',
          OWNER_METADATA_KEY: 'owner',
          REPORT_LINK_EXPIRES_HOURS: '168',
        });
    } finally {
      await s3.close();
    }
  });
});

describe('the packaged prod template, as AWS would read it', () => {
  const targetsTopic = (arns: unknown) => Array.isArray(arns) && arns.some((a: any) => a?.Ref === 'AlertTopic');
  const topicStatement = (service: string) =>
    resources.AlertTopicPolicy?.Properties.PolicyDocument.Statement.filter(
      (s: any) => s.Principal?.Service === service,
    );
  const thisAccount = { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } };

  it("lets CloudWatch publish to the alert topic for exactly the alarms that notify it, and no other account's", () => {
    const alarms = byType('AWS::CloudWatch::Alarm').filter(([, r]) =>
      ['AlarmActions', 'OKActions', 'InsufficientDataActions'].some((k) => targetsTopic(r.Properties[k])),
    );
    expect(alarms.length).toBe(14);
    const statements = topicStatement('cloudwatch.amazonaws.com');
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({
      Effect: 'Allow',
      Action: 'sns:Publish',
      Resource: { Ref: 'AlertTopic' },
      Condition: thisAccount,
    });
    expect(new Set(statements[0].Condition.ArnEquals['aws:SourceArn'])).toEqual(
      new Set(alarms.map(([name]) => ({ 'Fn::GetAtt': [name, 'Arn'] }))),
    );
  });

  it('lets no rule publish to the alert topic: only the alarms (above) and the notifier, through its role', () => {
    const rules = byType('AWS::Events::Rule').filter(([, r]) =>
      targetsTopic(r.Properties.Targets.map((t: any) => t.Arn)),
    );
    expect(rules).toEqual([]);
    expect(topicStatement('events.amazonaws.com')).toEqual([]);
    // Nobody else may publish.
    expect(resources.AlertTopicPolicy?.Properties.PolicyDocument.Statement).toHaveLength(1);
  });

  it("conditions every service principal on the topic's key on this account and its alarms", () => {
    const statements = resources.AlertTopicKey?.Properties.KeyPolicy.Statement.filter((s: any) => s.Principal?.Service);
    const services = statements.map((s: any) => s.Principal.Service);
    // One principal per statement, so a condition cannot cover one service by accident of another.
    for (const service of services) expect(typeof service).toBe('string');
    expect(services).toEqual(['cloudwatch.amazonaws.com']);
    expect(statements[0].Action).toEqual(['kms:GenerateDataKey*', 'kms:Decrypt']);
    expect(statements[0].Condition).toEqual({
      ...thisAccount,
      ArnLike: {
        'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*' },
      },
    });
  });
});
