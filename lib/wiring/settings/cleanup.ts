import type { CleanupCaps } from '../../cleanup/decide';
import { ConfigError, type Env, flag, integer, text } from '../../config/env';
import { parseSecretRef, type SecretRef } from '../../secrets/reader';
import type { UpstreamAuthOptions } from '../../upstream/factory';
import { loadScanSettings, type ScanSettingsFromEnv } from './scanner';
import { isDeployed } from './upstream';

/** Settings of the cleanup (docs/cleanup.md): the scanner's, plus the switch, the caps and the credentials that may delete. */
export interface CleanupSettingsFromEnv {
  scan: ScanSettingsFromEnv;
  /** CLEANUP_ENABLED: off unless the deployment (or the person at the keyboard) turns it on. */
  enabled: boolean;
  /** CLEANUP_SWITCH_PARAMETER: deletions happen only while this SSM parameter reads `on`. */
  switchParameter: SecretRef | undefined;
  caps: CleanupCaps;
  /** CLEANUP_CREDENTIALS_SECRET: the remediation credentials, used for every target instead of the scanner's. */
  auth: UpstreamAuthOptions | undefined;
  findingsTable: string;
}

/** The cleanup's settings; the scanner's settings are read the same way as `npm run scan` reads them. */
export function loadCleanupSettings(env: Env = process.env): CleanupSettingsFromEnv {
  const secret = text(env, 'CLEANUP_CREDENTIALS_SECRET');
  if (secret === undefined && isDeployed(env) && text(env, 'EVS_AUTH') !== 'noauth')
    throw new ConfigError(
      "CLEANUP_CREDENTIALS_SECRET is not set: the remediation function deletes with EVS credentials of its own, never the scanner's",
    );
  // The single-endpoint target reads the remediation credentials where the scanner reads its own.
  const scan = loadScanSettings(secret === undefined ? env : { ...env, EVS_CREDENTIALS_SECRET: secret });
  if (!scan.findingsTable)
    throw new ConfigError(
      'FINDINGS_TABLE is not set: cleanup keeps its marks, approvals and audit trail in the findings table',
    );
  const switchValue = text(env, 'CLEANUP_SWITCH_PARAMETER');
  let auth: UpstreamAuthOptions | undefined;
  if (secret !== undefined) {
    const mode = text(env, 'EVS_AUTH') ?? 'aksk';
    if (mode !== 'aksk' && mode !== 'token')
      throw new ConfigError(
        `CLEANUP_CREDENTIALS_SECRET holds credentials for EVS_AUTH=aksk or token, but EVS_AUTH is "${mode}"`,
      );
    auth = {
      mode: 'secret',
      auth: mode,
      secret: parseSecretRef(secret, 'CLEANUP_CREDENTIALS_SECRET'),
      iam: undefined,
      maxAgeSeconds: integer(env, 'EVS_CREDENTIALS_MAX_AGE_SECONDS', 300, 0, 86_400),
    };
  }
  return {
    scan,
    enabled: flag(env, 'CLEANUP_ENABLED', false),
    switchParameter:
      switchValue === undefined
        ? undefined
        : parseSecretRef(
            switchValue.startsWith('arn:') || switchValue.startsWith('ssm:') ? switchValue : `ssm:${switchValue}`,
            'CLEANUP_SWITCH_PARAMETER',
          ),
    caps: {
      perRun: integer(env, 'CLEANUP_MAX_PER_RUN', 50, 0, 100_000),
      perRunPercent: integer(env, 'CLEANUP_MAX_PERCENT_PER_RUN', 10, 0, 100),
      perDay: integer(env, 'CLEANUP_MAX_PER_DAY', 50, 0, 1_000_000),
      perDayPercent: integer(env, 'CLEANUP_MAX_PERCENT_PER_DAY', 10, 0, 100),
    },
    auth,
    findingsTable: scan.findingsTable,
  };
}
