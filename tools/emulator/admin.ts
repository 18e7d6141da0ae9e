import type { IncomingMessage, ServerResponse } from 'node:http';
import { fault, send } from './respond';
import type { SnapshotStore } from './store';

const SNAPSHOT_PATH = /^\/v[23]\/([^/]+)\/snapshots\/([0-9a-fA-F-]{36})(\/action|\/metadata)?$/;
/** The statuses Cinder and EVS delete a snapshot in; any other is refused with a 400. */
const DELETABLE = new Set(['available', 'error', 'error_deleting']);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => resolve(body));
  });
}

/**
 * The Cinder calls on one snapshot, so a person (or a test) can watch the scanner resolve a
 * finding and the cleanup mark and delete: `GET /v2/{p}/snapshots/{id}` (`{"snapshot": ...}`),
 * `DELETE /v2/{p}/snapshots/{id}` (202; 400 unless available or error, as Cinder),
 * `POST /v2/{p}/snapshots/{id}/metadata` with `{"metadata": {...}}` (200, the merged metadata),
 * and `POST /v2/{p}/snapshots/{id}/action` with `{"os-reset_status": {"status": "available"}}` (202).
 * Returns false when the request is not one of them.
 */
export function handleSnapshotChange(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  store: SnapshotStore,
  authorised: (projectId: string) => boolean,
): boolean {
  const match = SNAPSHOT_PATH.exec(pathname);
  if (
    !match ||
    (req.method !== 'DELETE' && req.method !== 'POST' && req.method !== 'GET') ||
    (req.method === 'GET' && match[3])
  )
    return false;
  const projectId = decodeURIComponent(match[1] as string);
  const snapshotId = match[2] as string;
  if (!authorised(projectId)) return true;
  if (req.method === 'GET') {
    const snapshot = store.get(projectId, snapshotId);
    if (snapshot) send(res, 200, { snapshot });
    else fault(res, 404, `Snapshot ${snapshotId} could not be found.`);
    return true;
  }
  if (req.method === 'DELETE' && !match[3]) {
    const snapshot = store.get(projectId, snapshotId);
    if (snapshot && !DELETABLE.has(snapshot.status))
      fault(res, 400, 'Invalid snapshot: Snapshot status must be available or error and must not be part of a group.');
    else if (store.remove(projectId, snapshotId)) send(res, 202, '');
    else fault(res, 404, `Snapshot ${snapshotId} could not be found.`);
    return true;
  }
  if (req.method !== 'POST' || !match[3]) return false;
  if (match[3] === '/metadata') {
    void readBody(req).then((text) => {
      let metadata: unknown;
      try {
        metadata = (JSON.parse(text) as { metadata?: unknown }).metadata;
      } catch {
        metadata = undefined;
      }
      if (
        !metadata ||
        typeof metadata !== 'object' ||
        Array.isArray(metadata) ||
        Object.values(metadata).some((v) => typeof v !== 'string')
      )
        return fault(res, 400, 'Malformed request body: metadata must be an object of strings.');
      const merged = store.setMetadata(projectId, snapshotId, metadata as Record<string, string>);
      if (merged) send(res, 200, { metadata: merged });
      else fault(res, 404, `Snapshot ${snapshotId} could not be found.`);
    });
    return true;
  }
  void readBody(req).then((text) => {
    let status: unknown;
    try {
      status = (JSON.parse(text) as { 'os-reset_status'?: { status?: unknown } })['os-reset_status']?.status;
    } catch {
      status = undefined;
    }
    if (typeof status !== 'string')
      return fault(res, 400, 'Invalid action: only os-reset_status with a status is served.');
    const now = new Date().toISOString().replace('Z', '').slice(0, 26);
    if (store.resetStatus(projectId, snapshotId, status, now)) send(res, 202, '');
    else fault(res, 404, `Snapshot ${snapshotId} could not be found.`);
  });
  return true;
}
