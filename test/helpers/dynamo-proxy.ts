import { createServer, request } from 'node:http';
import { listenOnLoopback } from '../../tools/local/loopback';

/** What the proxy does with one DynamoDB call: pass it on, answer it with an error, or never answer. */
export type DynamoFault = undefined | 'hang' | { status: number; type: string; message?: string };

/**
 * A loopback HTTP proxy in front of a DynamoDB endpoint (dynalite) that can refuse or swallow
 * chosen operations (`BatchWriteItem`, `UpdateItem`, ...), as a table that loses writes would.
 */
export async function startDynamoProxy(target: string, fault: (operation: string, body: string) => DynamoFault) {
  const calls: string[] = [];
  const hanging = new Set<() => void>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      calls.push(operation);
      const f = fault(operation, body);
      if (f === 'hang') {
        hanging.add(() => res.destroy());
        return;
      }
      if (f) {
        res
          .writeHead(f.status, { 'Content-Type': 'application/x-amz-json-1.0' })
          .end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${f.type}`, message: f.message ?? f.type }));
        return;
      }
      const upstream = request(`${target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  const bound = await listenOnLoopback(server);
  return {
    url: bound.url,
    calls,
    close: async () => {
      for (const end of hanging) end();
      await bound.close();
    },
  };
}
