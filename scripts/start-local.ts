/**
 * `npm start`: the whole thing on 127.0.0.1. The EVS emulator with a seeded fleet (unless
 * EVS_ENDPOINT points at a real upstream), a local EventBridge, DynamoDB, SQS and S3, and
 * serverless-offline serving the proxy and running the dispatcher and the fleet report every
 * minute; scanner events go through the shipped rule and a local queue to the notifier, which
 * posts one digest per scan cycle to ALERT_WEBHOOK_URL (when set) and prints it, and the fleet
 * report is served from the local S3.
 */
import { spawn } from 'node:child_process';
import { DEFAULT_SOURCE } from '../lib/events/contract';
import { generateFleet } from '../tools/emulator/fleet';
import { startEmulator } from '../tools/emulator/server';
import { createFindingsTable, startLocalDynamo } from '../tools/local/dynamodb';
import { startLocalEventBridge } from '../tools/local/eventbridge';
import { invokeOverHttp } from '../tools/local/lambda';
import { createNotificationsTable, toQueue } from '../tools/local/notifications';
import { loadRulePattern } from '../tools/local/rules';
import { startLocalS3 } from '../tools/local/s3';
import { startLocalFifoQueue } from '../tools/local/sqs';

const env = process.env;
const PROXY_PORT = env.PROXY_PORT ?? '3000';
const LAMBDA_PORT = env.LAMBDA_PORT ?? '3002';
const SAMPLE_PROJECTS = ['0a1b2c3d4e5f60718293a4b5c6d7e8f9', 'f9e8d7c6b5a4938271605f4e3d2c1b0a'];
const stage = 'local';
const service = 'evs-snapshot-sentinel';
const log = (line: string) => process.stderr.write(`[local] ${line}\n`);

const upstream: Record<string, string> = {};
let emulator: Awaited<ReturnType<typeof startEmulator>> | undefined;
if (env.EVS_ENDPOINT) {
  log(`proxying to EVS_ENDPOINT=${env.EVS_ENDPOINT} (EVS_AUTH=${env.EVS_AUTH ?? 'aksk'}); no emulator started`);
} else {
  const fleet = generateFleet({
    seed: env.FLEET_SEED ?? 'local',
    size: Number(env.FLEET_SIZE ?? 3000),
    projects: SAMPLE_PROJECTS,
    now: Date.now(),
  });
  emulator = await startEmulator({
    projects: fleet.projects,
    port: Number(env.EMULATOR_PORT ?? 8776),
    auth: { mode: 'noauth' },
  });
  Object.assign(upstream, { EVS_ENDPOINT: emulator.url, EVS_AUTH: 'noauth', EVS_REGION: 'local' });
  upstream.ALLOWED_PROJECT_IDS = env.ALLOWED_PROJECT_IDS ?? SAMPLE_PROJECTS.join(',');
  log(
    `EVS emulator at ${emulator.url}: ${fleet.projects.map((p) => `${p.projectId} (${p.snapshots.length})`).join(', ')}; ${fleet.expected.size} should be flagged`,
  );
}

// The findings table, in dynalite, created from the definition serverless.yml deploys.
const FINDINGS_TABLE = env.FINDINGS_TABLE ?? `${service}-${stage}-findings`;
const NOTIFICATIONS_TABLE = env.NOTIFICATIONS_TABLE ?? `${service}-${stage}-notifications`;
let dynamoUrl = env.AWS_ENDPOINT_URL_DYNAMODB;
let dynamo: Awaited<ReturnType<typeof startLocalDynamo>> | undefined;
if (!dynamoUrl) {
  dynamo = await startLocalDynamo(Number(env.DYNAMODB_PORT ?? 4569));
  await createFindingsTable(dynamo.client, FINDINGS_TABLE);
  await createNotificationsTable(dynamo.client, NOTIFICATIONS_TABLE);
  dynamoUrl = dynamo.url;
  log(`DynamoDB (dynalite, in memory) at ${dynamoUrl}, tables ${FINDINGS_TABLE} and ${NOTIFICATIONS_TABLE}`);
} else {
  log(
    `findings table ${FINDINGS_TABLE}, notifications table ${NOTIFICATIONS_TABLE} at AWS_ENDPOINT_URL_DYNAMODB=${dynamoUrl}`,
  );
}

// The notifications queue: the shipped rule sends scanner events to it, and it invokes the
// notifier through serverless-offline's Lambda port, as the SQS event source does.
const notifyQueue = await startLocalFifoQueue({
  port: Number(env.NOTIFY_SQS_PORT ?? 0),
  deliver: invokeOverHttp(
    `http://127.0.0.1:${LAMBDA_PORT}/2015-03-31/functions/${service}-${stage}-notifier/invocations`,
  ),
  visibilityMs: 5_000,
  maxReceiveCount: 5,
});
const bus = await startLocalEventBridge({
  port: Number(env.EVENTBRIDGE_PORT ?? 4010),
  rules: [
    {
      name: 'notifications',
      pattern: loadRulePattern('notifications', env.EVENT_SOURCE || DEFAULT_SOURCE),
      deliver: toQueue(notifyQueue.endpoint, notifyQueue.queueUrl),
    },
  ],
});
log(`local EventBridge (PutEvents) at ${bus.url}`);

// The scan work queue: the dispatcher sends to it through the real SQS client, and it invokes
// the worker through serverless-offline's Lambda port, as the SQS event source does.
const workQueue = await startLocalFifoQueue({
  port: Number(env.SQS_PORT ?? 4011),
  deliver: invokeOverHttp(
    `http://127.0.0.1:${LAMBDA_PORT}/2015-03-31/functions/${service}-${stage}-scanWorker/invocations`,
  ),
  visibilityMs: 10_000,
});
log(`local SQS FIFO work queue at ${workQueue.queueUrl}`);

// The report bucket: each complete scan writes its project's part, the fleet report function the report.
const REPORT_BUCKET = env.REPORT_BUCKET ?? `${service}-${stage}-reports`;
const s3 = await startLocalS3({ port: Number(env.S3_PORT ?? 4012), buckets: [REPORT_BUCKET] });
const reportUrl = `${s3.url}/${REPORT_BUCKET}/fleet-report.html`;
log(`local S3 at ${s3.url}, bucket ${REPORT_BUCKET}`);

const child = spawn('node_modules/.bin/serverless', ['offline', 'start', '--stage', stage], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: {
    ...env,
    ...upstream,
    SCAN_PROJECT_IDS: env.SCAN_PROJECT_IDS ?? upstream.ALLOWED_PROJECT_IDS ?? '',
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
    AWS_ENDPOINT_URL_SQS: workQueue.endpoint,
    SCAN_QUEUE_URL: workQueue.queueUrl,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    FINDINGS_TABLE,
    NOTIFICATIONS_TABLE,
    AWS_ENDPOINT_URL_S3: s3.url,
    REPORT_BUCKET,
    AWS_REGION: env.AWS_REGION ?? 'eu-west-1',
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? 'local',
    PROXY_PORT,
    LAMBDA_PORT,
    // serverless-offline fills requestContext.domainName with a placeholder; links need the real origin.
    PROXY_PUBLIC_URL: env.PROXY_PUBLIC_URL ?? `http://127.0.0.1:${PROXY_PORT}`,
  },
});

const base = `http://127.0.0.1:${PROXY_PORT}`;
for (let i = 0; i < 120; i++) {
  if (
    await fetch(`${base}/v2/${SAMPLE_PROJECTS[0]}/snapshots?limit=1`).then(
      (r) => r.status < 500,
      () => false,
    )
  )
    break;
  await new Promise((r) => setTimeout(r, 500));
}
const p = (upstream.ALLOWED_PROJECT_IDS ?? env.ALLOWED_PROJECT_IDS ?? SAMPLE_PROJECTS.join(',')).split(',')[0];
log('ready. Try:');
log(`  curl '${base}/v2/${p}/snapshots?limit=5'`);
log(`  curl '${base}/v2/${p}/snapshots?status=error&limit=50'`);
log(`  curl '${base}/v2/${p}/snapshots?all_tenants=1'     # refused: 400`);
log(`  curl '${base}/v2/${p}/findings?state=OPEN&severity=high&limit=5'`);
if (emulator) {
  log('the findings lifecycle: each finding alerts once; make one go away and the next run says RESOLVED:');
  log(`  curl -X DELETE -H 'X-Auth-Token: admin:${p}' '${emulator.url}/v2/${p}/snapshots/<snapshot id>'`);
  log(
    `  curl -X POST -H 'X-Auth-Token: admin:${p}' -H 'Content-Type: application/json' -d '{"os-reset_status": {"status": "available"}}' '${emulator.url}/v2/${p}/snapshots/<snapshot id>/action'`,
  );
}
log(`the fleet report (from the second minute on; also .json, .csv, .prom): ${reportUrl}`);
log(
  env.ALERT_WEBHOOK_URL || env.NOTIFY_ROUTES_FILE
    ? 'every minute the dispatcher queues one work item per project and the workers scan them; what changed is sent as one digest per cycle, printed below as "NOTIFY ..." lines (nothing when nothing changed). Ctrl-C stops everything.'
    : 'every minute the dispatcher queues one work item per project and the workers scan them. Set ALERT_WEBHOOK_URL (or NOTIFY_ROUTES_FILE) to receive digests of what changed; `npm run notify -- --dry-run` shows what they would hold. Ctrl-C stops everything.',
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  child.kill('SIGTERM');
  await Promise.all([
    bus.close(),
    workQueue.close(),
    notifyQueue.close(),
    s3.close(),
    emulator?.close(),
    dynamo?.close(),
  ]);
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
child.on('exit', (code) => {
  if (!stopping) {
    log(`serverless-offline exited with ${code}`);
    void stop();
  }
});
