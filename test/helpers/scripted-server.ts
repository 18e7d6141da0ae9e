import { createServer, type IncomingMessage } from 'node:http';
import { listenOnLoopback } from '../../tools/local/loopback';

export interface ScriptedReply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

/** A loopback HTTP server answering each request from a script, recording what it was sent. */
export async function startScriptedServer(reply: (req: IncomingMessage, n: number, body: string) => ScriptedReply) {
  const requests: Array<{
    method: string;
    url: string;
    headers: IncomingMessage['headers'];
    body: string;
    at: number;
  }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now() });
      const r = reply(req, requests.length, body);
      const send = () =>
        res.writeHead(r.status, { 'Content-Type': 'application/json', ...r.headers }).end(r.body ?? '');
      if (r.delayMs) setTimeout(send, r.delayMs);
      else send();
    });
  });
  const bound = await listenOnLoopback(server);
  return { url: bound.url, requests, close: bound.close };
}
