import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createFindingsTable } from '../../tools/local/dynamodb';
import { freePort } from './ports';

/**
 * dynalite in a process of its own on 127.0.0.1, with a fresh findings table, so a test can
 * freeze it (SIGSTOP) or kill it as a DynamoDB endpoint that stops answering would.
 */
export async function startDynaliteProcess(): Promise<{
  url: string;
  table: string;
  child: ChildProcess;
  close(): Promise<void>;
}> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['-e', `require('dynalite')({ createTableMs: 0 }).listen(${port}, '127.0.0.1', () => console.log('ready'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code}`)));
    child.stdout?.once('data', () => resolve());
  });
  const url = `http://127.0.0.1:${port}`;
  const table = `findings-${randomUUID().slice(0, 8)}`;
  const client = new DynamoDBClient({
    endpoint: url,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createFindingsTable(client, table);
  client.destroy();
  return {
    url,
    table,
    child,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
