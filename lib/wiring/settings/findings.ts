import { ConfigError, type Env, optionalHttpUrl, projectList, tableName, text } from '../../config/env';

export interface FindingsApiSettings {
  table: string;
  allowedProjects: readonly string[] | '*';
  publicBaseUrl: string | undefined;
  /** Where cleanup approvals are announced (EVENT_BUS_NAME); undefined: the audit item alone. */
  eventBusName: string | undefined;
  eventSource: string;
  region: string;
}

/** Settings of the findings API. */
export function loadFindingsApiSettings(env: Env = process.env): FindingsApiSettings {
  const table = tableName(env, 'FINDINGS_TABLE');
  if (!table) throw new ConfigError("FINDINGS_TABLE is not set: the findings API reads the scanner's findings table");
  if (text(env, 'ALLOWED_PROJECT_IDS') === undefined)
    throw new ConfigError(
      'ALLOWED_PROJECT_IDS is not set: list the project ids callers may read, comma separated, or * for all',
    );
  return {
    table,
    allowedProjects: projectList(env, 'ALLOWED_PROJECT_IDS', true),
    publicBaseUrl: optionalHttpUrl(env, 'PROXY_PUBLIC_URL', 'the public base URL of the API'),
    eventBusName: text(env, 'EVENT_BUS_NAME'),
    eventSource: text(env, 'EVENT_SOURCE') ?? 'evs.snapshot-scanner',
    region: text(env, 'AWS_REGION') ?? 'unknown',
  };
}
