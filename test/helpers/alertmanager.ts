import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

export interface RunningAlertmanager {
  url: string;
  stop(): Promise<void>;
}

/** A route tree grouping by project, with a receiver that sends nowhere (or to `webhookUrl`). */
export function alertmanagerConfig(webhookUrl?: string): string {
  return [
    'route:',
    '  receiver: sink',
    "  group_by: ['project_id']",
    '  group_wait: 1s',
    '  group_interval: 1s',
    '  repeat_interval: 1h',
    'receivers:',
    '  - name: sink',
    ...(webhookUrl ? ['    webhook_configs:', `      - url: '${webhookUrl}'`, '        send_resolved: true'] : []),
    '',
  ].join('\n');
}

/**
 * Debian's Alertmanager (scripts/ensure-alertmanager.sh installs it) on 127.0.0.1 and a free port,
 * clustering off, its data in a temporary folder; resolves when its API answers.
 */
export async function startAlertmanager(config = alertmanagerConfig()): Promise<RunningAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'alertmanager-'));
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    process.env.ALERTMANAGER_PATH ?? '/usr/bin/prometheus-alertmanager',
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      `--web.external-url=${url}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4_000);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/api/v2/status`);
      if (res.ok) return { url, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`Alertmanager did not start on ${url}: ${log}`);
}
