/**
 * One worker sandbox of the fan-out benchmark, bundled and run with plain node like the deployed
 * scan-worker: the real handler (from its environment: the targets file, the bus) behind a
 * loopback Lambda Invoke endpoint, which the local queue's event source calls. Prints its invoke
 * URL once listening; on stdin's end prints its CPU time and peak RSS and exits.
 */
import { handler } from '../functions/scan-worker';
import { startLocalLambda } from '../tools/local/lambda';

const lambda = await startLocalLambda({ scanWorker: handler as never }, { timeoutMs: 900_000 });
process.stdout.write(`${JSON.stringify({ invokeUrl: lambda.invokeUrl('scanWorker') })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  const cpu = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, maxRssKb: process.resourceUsage().maxRSS })}\n`,
  );
  process.exit(0);
});
