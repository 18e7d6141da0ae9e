import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { httpApiEvent } from '../test/helpers/events';
import { lambdaContext } from '../tools/local/loopback';
import { fmt, load, median, quantile, type Servers } from './lib';

type Handler = (
  event: APIGatewayProxyEventV2,
  context: ReturnType<typeof lambdaContext>,
) => Promise<{ statusCode: number; body: string }>;

export interface ProxyRow {
  limit: number;
  concurrency: number;
  directMedian: number;
  directP99: number;
  proxyMedian: number;
  proxyP99: number;
  ratio: number;
  emulatorPageMs: number;
}

/** The middy-wrapped handler in-process versus a direct fetch of the same upstream URL, side by side. */
export async function benchProxy(servers: Servers, rounds: number): Promise<ProxyRow[]> {
  Object.assign(process.env, {
    EVS_ENDPOINT: servers.emulator,
    EVS_AUTH: 'noauth',
    ALLOWED_PROJECT_IDS: servers.projects.join(','),
    LOG_LEVEL: 'silent',
  });
  const { handler } = (await import('../functions/list-snapshots')) as unknown as { handler: Handler };
  const project = servers.projects[0] as string;
  const rows: ProxyRow[] = [];
  for (const limit of [50, 1000]) {
    for (const concurrency of [1, 32]) {
      const url = `${servers.emulator}/v2/${project}/snapshots?limit=${limit}`;
      const headers = { 'X-Auth-Token': `admin:${project}`, Accept: 'application/json' };
      const serverTimes: number[] = [];
      const direct = async () => {
        const response = await fetch(url, { headers });
        await response.json();
        serverTimes.push(Number(/dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '')?.[1]));
      };
      const event = httpApiEvent({ projectId: project, query: `limit=${limit}` });
      const proxied = async () => {
        const result = await handler(event, lambdaContext(30_000));
        if (result.statusCode !== 200)
          throw new Error(`proxy answered ${result.statusCode}: ${result.body.slice(0, 200)}`);
      };
      const perRound = concurrency === 1 ? (limit === 50 ? 300 : 100) : limit === 50 ? 960 : 320;
      await load(direct, 50, concurrency);
      await load(proxied, 50, concurrency);
      const d: number[] = [];
      const p: number[] = [];
      const ratios: number[] = [];
      for (let round = 0; round < rounds; round++) {
        // Alternate which side goes first, so drift on a noisy machine hits both alike.
        const first = round % 2 === 0;
        const a = await load(first ? direct : proxied, perRound, concurrency);
        const b = await load(first ? proxied : direct, perRound, concurrency);
        const [dr, pr] = first ? [a, b] : [b, a];
        d.push(...dr);
        p.push(...pr);
        ratios.push(median(pr) / median(dr));
      }
      rows.push({
        limit,
        concurrency,
        directMedian: median(d),
        directP99: quantile(d, 0.99),
        proxyMedian: median(p),
        proxyP99: quantile(p, 0.99),
        ratio: median(ratios),
        emulatorPageMs: median(serverTimes),
      });
      process.stderr.write(`proxy limit=${limit} c=${concurrency}: ratio ${fmt(rows.at(-1)?.ratio ?? 0)}\n`);
    }
  }
  return rows;
}
