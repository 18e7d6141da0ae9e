import { type Env, httpUrl, integer } from '../../config/env';
import { loadScanSettings, type ScanSettingsFromEnv } from './scanner';

export interface DispatchSettings {
  scan: ScanSettingsFromEnv;
  /** The FIFO queue the work items go to. */
  queueUrl: string;
  /** The schedule's period; two of them without a complete scan is NOT_SCANNED. */
  cycleMs: number;
}

/** Settings of the dispatcher: the scanner's (targets, bus, table) plus the queue and the cycle. */
export function loadDispatchSettings(env: Env = process.env): DispatchSettings {
  return {
    scan: loadScanSettings(env),
    queueUrl: httpUrl(env, 'SCAN_QUEUE_URL', 'the SQS FIFO queue the dispatcher sends one message per project to'),
    cycleMs: integer(env, 'SCAN_CYCLE_MINUTES', 15, 1, 1_440) * 60_000,
  };
}
