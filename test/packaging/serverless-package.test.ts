import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'sls-package-'));
let resources: Record<string, { Type: string; Properties: Record<string, any> }>;

beforeAll(async () => {
  // The real framework (osls) with serverless-esbuild, offline and without AWS credentials.
  const env = { ...process.env };
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'SCAN_RATE']) delete env[key];
  // Credentials exported the way the README's deploy shows, to see where they end up.
  Object.assign(env, { HUAWEICLOUD_SDK_AK: 'AKFAKEPACKAGE', HUAWEICLOUD_SDK_SK: 'sk-FAKE-package', EVS_IAM_PASSWORD: 'pw-FAKE-package', ALERT_WEBHOOK_URL: 'https://hooks.example/FAKE' });
  await run('node_modules/.bin/serverless', ['package', '--stage', 'ci', '--package', out], { env, timeout: 120_000 });
  resources = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
}, 150_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

const byType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('serverless package', () => {
  it('bundles each function on its own, minified and small', () => {
    const sizes = Object.fromEntries(['listSnapshots', 'scanSnapshots', 'alertSubscriber'].map((f) => [f, statSync(join(out, `${f}.zip`)).size]));
    expect(sizes.listSnapshots).toBeLessThan(150 * 1024);
    expect(sizes.scanSnapshots).toBeLessThan(500 * 1024);
    expect(sizes.alertSubscriber).toBeLessThan(150 * 1024);
    expect(statSync(join(out, 'findings.zip')).size).toBeLessThan(300 * 1024);
  });

  it('serves the list and its detail form under /v2 and /v3, the version document and the OpenAPI document on the HTTP API, all with IAM authorization', () => {
    const routes = byType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([
      'GET /',
      'GET /openapi.json',
      'GET /v2/{project_id}/snapshots',
      'GET /v2/{project_id}/snapshots/detail',
      'GET /v3/{project_id}/snapshots',
      'GET /v3/{project_id}/snapshots/detail',
      'GET /v2/{project_id}/findings',
      'POST /v2/{project_id}/findings/{finding_id}/suppression',
      'DELETE /v2/{project_id}/findings/{finding_id}/suppression',
    ].sort());
    expect(new Set(routes.map((r) => r.AuthorizationType))).toEqual(new Set(['AWS_IAM']));
    const fns = byType('AWS::Lambda::Function').map(([, r]) => r.Properties);
    expect(new Set(fns.map((f) => f.Runtime))).toEqual(new Set(['nodejs22.x']));
  });

  it('schedules the scanner every 15 minutes by default', () => {
    const schedules = byType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    expect(schedules.map(([, r]) => r.Properties.ScheduleExpression)).toEqual(['rate(15 minutes)']);
    expect(schedules[0]?.[1].Properties.Targets[0].Arn['Fn::GetAtt'][0]).toBe('ScanSnapshotsLambdaFunction');
  });

  it('gives the scanner a role that may only PutEvents on its own bus', () => {
    const scanner = resources.ScanSnapshotsLambdaFunction?.Properties;
    expect(scanner?.Environment.Variables.NODE_OPTIONS).toBe('--max-semi-space-size=2');
    expect(scanner?.Role).toEqual({ 'Fn::GetAtt': ['ScannerRole', 'Arn'] });
    const statements = resources.ScannerRole?.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const put = statements.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('events:')));
    expect(put).toEqual([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': ['SentinelBus', 'Arn'] } }]);
    expect(byType('AWS::Events::EventBus')).toHaveLength(1);
  });

  it('ships the alerting rules: high-severity findings and scan failures to SNS, and the subscriber rules', () => {
    const rules = byType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
    const patterns = rules.map(([, r]) => r.Properties.EventPattern);
    expect(patterns).toContainEqual({ source: ['evs.snapshot-scanner'], 'detail-type': ['EVS Snapshot Finding'], detail: { severity: ['high'], transition: ['OPENED', 'REMINDER', 'OBSERVED'] } });
    expect(patterns).toContainEqual({ source: ['evs.snapshot-scanner'], 'detail-type': ['EVS Snapshot Finding'], detail: { transition: ['RESOLVED'] } });
    expect(patterns).toContainEqual({ source: ['evs.snapshot-scanner'], 'detail-type': ['EVS Snapshot Scan Failed'] });
    const toSns = rules.filter(([, r]) => r.Properties.Targets.some((t: any) => t.Arn?.Ref === 'AlertTopic'));
    expect(toSns.map(([name]) => name).sort()).toEqual(['HighSeverityFindingsRule', 'ScanFailuresRule']);
    for (const [, r] of rules) expect(r.Properties.EventBusName).toBeDefined();
    // RESOLVED goes to the subscriber, never to the alert topic.
    const resolvedRules = rules.filter(([, r]) => JSON.stringify(r.Properties.EventPattern).includes('RESOLVED'));
    expect(resolvedRules.every(([, r]) => r.Properties.Targets.every((t: any) => t.Arn?.Ref !== 'AlertTopic'))).toBe(true);
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
    expect(table?.Properties.TableName).toBe('evs-snapshot-sentinel-ci-findings');
    expect(scanner?.Environment.Variables.FINDINGS_TABLE).toBe('evs-snapshot-sentinel-ci-findings');
    expect(resources.FindingsLambdaFunction?.Properties.Environment.Variables.FINDINGS_TABLE).toBe('evs-snapshot-sentinel-ci-findings');
  });

  it('gives the scanner and the findings API only the table actions they use, on that table alone', () => {
    const tableStatements = (role: string) =>
      resources[role]?.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement).filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
    expect(tableStatements('ScannerRole')).toEqual([{ Effect: 'Allow', Action: ['dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], Resource: { 'Fn::GetAtt': ['FindingsTable', 'Arn'] } }]);
    expect(tableStatements('FindingsApiRole')).toEqual([{ Effect: 'Allow', Action: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: { 'Fn::GetAtt': ['FindingsTable', 'Arn'] } }]);
    expect(resources.FindingsLambdaFunction?.Properties.Role).toEqual({ 'Fn::GetAtt': ['FindingsApiRole', 'Arn'] });
  });

  it('gives every rule target and the subscriber a retry policy and a dead-letter queue, encrypts the topic and archives the bus', () => {
    const rules = byType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
    expect(rules.length).toBe(6);
    for (const [name, r] of rules) {
      for (const target of r.Properties.Targets) {
        expect(target.DeadLetterConfig, name).toEqual({ Arn: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] } });
        expect(target.RetryPolicy, name).toMatchObject({ MaximumRetryAttempts: 24, MaximumEventAgeInSeconds: 86400 });
      }
    }
    const invokeConfig = byType('AWS::Lambda::EventInvokeConfig').map(([, r]) => r.Properties);
    expect(invokeConfig).toEqual([expect.objectContaining({ FunctionName: { Ref: 'AlertSubscriberLambdaFunction' }, MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] } } } })]);
    expect(resources.EventsDeadLetterQueue?.Properties.SqsManagedSseEnabled).toBe(true);
    expect(resources.AlertTopic?.Properties.KmsMasterKeyId).toEqual({ Ref: 'AlertTopicKey' });
    const keyStatements = resources.AlertTopicKey?.Properties.KeyPolicy.Statement;
    expect(keyStatements).toContainEqual(expect.objectContaining({ Principal: { Service: ['events.amazonaws.com', 'cloudwatch.amazonaws.com'] } }));
    expect(resources.SentinelBusArchive?.Properties).toMatchObject({ SourceArn: { 'Fn::GetAtt': ['SentinelBus', 'Arn'] }, RetentionDays: 30 });
  });

  it('alarms to the topic on scanner errors and throttles, incomplete projects, undelivered events, proxy 5xx, the dead-letter queue and a missing heartbeat', () => {
    const alarms = Object.fromEntries(byType('AWS::CloudWatch::Alarm').map(([name, r]) => [name, r.Properties]));
    expect(Object.keys(alarms).sort()).toEqual(['DeadLetterQueueAlarm', 'EventsUndeliveredAlarm', 'ProjectsIncompleteAlarm', 'ProxyServerErrorsAlarm', 'ScannerErrorsAlarm', 'ScannerHeartbeatAlarm', 'ScannerThrottlesAlarm']);
    for (const alarm of Object.values(alarms)) expect(alarm.AlarmActions).toEqual([{ Ref: 'AlertTopic' }]);
    expect(alarms.ProjectsIncompleteAlarm).toMatchObject({ Namespace: 'EvsSnapshotSentinel', MetricName: 'ProjectsIncomplete', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(alarms.EventsUndeliveredAlarm).toMatchObject({ Namespace: 'EvsSnapshotSentinel', MetricName: 'EventsUndelivered', Threshold: 0 });
    // Twice the 15-minute schedule, and silence counts as breaching.
    expect(alarms.ScannerHeartbeatAlarm).toMatchObject({ MetricName: 'ScansCompleted', ComparisonOperator: 'LessThanThreshold', Threshold: 1, TreatMissingData: 'breaching' });
    expect(Number(alarms.ScannerHeartbeatAlarm?.Period)).toBe(1800);
    expect(alarms.ProxyServerErrorsAlarm?.Metrics.map((m: any) => m.MetricStat?.Metric.Dimensions.find((d: any) => d.Name === 'StatusClass')?.Value).filter(Boolean)).toEqual(['2xx', '4xx', '5xx']);
    expect(alarms.ScannerErrorsAlarm).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'ScanSnapshotsLambdaFunction' } }] });
  });

  it('deploys the scan-health dashboard kept in resources/dashboard.json, on the metrics the functions publish, and traces every function', () => {
    const body = resources.ScanHealthDashboard?.Properties.DashboardBody['Fn::Sub'] as string;
    const dashboard = JSON.parse(body.replaceAll('${AWS::Region}', 'eu-west-1'));
    expect(dashboard).toEqual(JSON.parse(readFileSync('resources/dashboard.json', 'utf8').replaceAll('${AWS::Region}', 'eu-west-1')));
    const names = new Set(dashboard.widgets.flatMap((w: any) => w.properties.metrics.map((m: string[]) => m[1])));
    for (const metric of ['SnapshotsRead', 'Findings', 'FindingsOpened', 'FindingsResolved', 'ProjectsIncomplete', 'EventsUndelivered', 'UpstreamErrors', 'Requests', 'UpstreamLatency']) expect(names).toContain(metric);
    for (const [, fn] of byType('AWS::Lambda::Function')) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    for (const role of ['ScannerRole', 'FindingsApiRole']) {
      const actions = resources[role]?.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement).flatMap((st: any) => [st.Action].flat());
      expect(actions).toEqual(expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']));
    }
  });

  it('gives the subscriber and the findings API none of the EVS settings or credentials', () => {
    for (const fn of ['AlertSubscriberLambdaFunction', 'FindingsLambdaFunction']) {
      const variables = resources[fn]?.Properties.Environment.Variables as Record<string, unknown>;
      expect(Object.keys(variables).filter((k) => /^(EVS_|HUAWEICLOUD_)/.test(k)), fn).toEqual([]);
      expect(JSON.stringify(variables), fn).not.toMatch(/sk-FAKE-package|pw-FAKE-package|AKFAKEPACKAGE/);
    }
    expect(Object.keys(resources.AlertSubscriberLambdaFunction?.Properties.Environment.Variables).sort()).toEqual(['ALERT_WEBHOOK_URL', 'LOG_LEVEL']);
  });
});
