import type { IncomingMessage, ServerResponse } from 'node:http';
import { fault, send } from './respond';
import type { SnapshotStore } from './store';

const SNAPSHOT_PATH = /^\/v[23]\/([^/]+)\/snapshots\/([0-9a-fA-F-]{36})(\/action)?$/;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => resolve(body));
  });
}

/**
 * The two Cinder calls that change a snapshot, so a person (or a test) can watch the scanner
 * resolve a finding: `DELETE /v2/{p}/snapshots/{id}` and `POST /v2/{p}/snapshots/{id}/action`
 * with `{"os-reset_status": {"status": "available"}}`. Both answer 202 as Cinder does.
 * Returns false when the request is not one of them.
 */
export function handleSnapshotChange(req: IncomingMessage, res: ServerResponse, pathname: string, store: SnapshotStore, authorised: (projectId: string) => boolean): boolean {
  const match = SNAPSHOT_PATH.exec(pathname);
  if (!match || (req.method !== 'DELETE' && req.method !== 'POST')) return false;
  const projectId = decodeURIComponent(match[1] as string);
  const snapshotId = match[2] as string;
  if (!authorised(projectId)) return true;
  if (req.method === 'DELETE' && !match[3]) {
    if (store.remove(projectId, snapshotId)) send(res, 202, '');
    else fault(res, 404, `Snapshot ${snapshotId} could not be found.`);
    return true;
  }
  if (req.method !== 'POST' || !match[3]) return false;
  void readBody(req).then((text) => {
    let status: unknown;
    try {
      status = (JSON.parse(text) as { 'os-reset_status'?: { status?: unknown } })['os-reset_status']?.status;
    } catch {
      status = undefined;
    }
    if (typeof status !== 'string') return fault(res, 400, 'Invalid action: only os-reset_status with a status is served.');
    const now = new Date().toISOString().replace('Z', '').slice(0, 26);
    if (store.resetStatus(projectId, snapshotId, status, now)) send(res, 202, '');
    else fault(res, 404, `Snapshot ${snapshotId} could not be found.`);
  });
  return true;
}
