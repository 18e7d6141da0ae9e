import { ConfigError, RequestError } from '../core/errors';
import { describeFailure, type Failure } from '../domain/failure';
import type { SecretFetch } from '../secrets/reader';
import type { TargetsSource } from '../targets/load';
import { type DiscoverySettings, parseTargets, type ScanTarget } from '../targets/load';
import type {
  DiscoveredProject,
  ProjectDiscoverer,
  SnapshotLister,
  SnapshotRemediator,
  VolumeLister,
} from '../upstream/client';

/** Which targets and projects one run covers (an on-demand scan names them; a schedule does not). */
export interface ScanRequest {
  scanId?: string;
  targets?: readonly string[];
  projects?: readonly string[];
}

/** A unit of work before it has a client: what the dispatcher sends and a worker receives. */
export interface WorkItem {
  target: string;
  region: string;
  projectId: string;
}

/** A target whose projects could not be discovered: reported as Scan Failed for project `*`. */
export interface DiscoveryFailure extends WorkItem {
  failure: Failure;
}

export interface Plan {
  items: WorkItem[];
  failures: DiscoveryFailure[];
  /** Per-target caps, by target name. */
  caps: Record<string, number>;
}

/** The projects discovery keeps: enabled, and matching the name and region patterns (region: the name up to its first `_`). */
export function selectDiscovered(found: readonly DiscoveredProject[], discover: DiscoverySettings): string[] {
  const ids = found
    .filter((p) => p.enabled)
    .filter((p) => !discover.namePattern || discover.namePattern.test(p.name))
    .filter((p) => !discover.regionPattern || discover.regionPattern.test(p.name.split('_')[0] ?? ''))
    .map((p) => p.id);
  return [...new Set(ids)].sort();
}

/** How long a worker trusts a discovered project list when checking a work item against it. */
const DISCOVERY_MAX_AGE_MS = 60_000;

/** A selection naming targets or projects the configuration does not have. */
export class UnknownSelectionError extends RequestError {
  override name = 'UnknownSelectionError';
  constructor(message: string) {
    super('not-found', 'UNKNOWN_SELECTION', message);
  }
}

export type TargetClient = SnapshotLister & VolumeLister & ProjectDiscoverer & SnapshotRemediator;

/** What a catalog is given: how a target's client is made, and how the targets parameter is read. */
export interface CatalogIo {
  /** Called once per target; the client is kept for the container's life. */
  createClient: (target: ScanTarget) => TargetClient;
  /** Reads the targets parameter (a source of kind `parameter`). */
  readParameter?: SecretFetch;
}

/**
 * The targets of a configuration with one client each, built on first use and kept for the
 * container's life (keep-alive sockets, cached credentials): the run's plan, a worker's check
 * of a work item, the client of a target. Which clients and readers it uses is the caller's
 * choice (lib/wiring/catalog.ts).
 */
export function catalogOf(source: TargetsSource, io: CatalogIo) {
  const clients = new Map<string, TargetClient>();
  const discovered = new Map<string, { at: number; ids: Promise<string[]> }>();
  let loaded: Promise<ScanTarget[]> | undefined;

  async function targets(): Promise<ScanTarget[]> {
    if (source.kind === 'static') return source.targets;
    // Read once per container: a changed parameter takes effect with the next cold start.
    const read = io.readParameter;
    if (!read) throw new ConfigError(`targets parameter ${source.ref.id} has no reader`);
    loaded ??= read(source.ref).then((text) => parseTargets(text, source.ref.id, source.defaults));
    try {
      return await loaded;
    } catch (error) {
      loaded = undefined;
      throw error;
    }
  }

  function client(target: ScanTarget): TargetClient {
    let c = clients.get(target.name);
    if (!c) {
      c = io.createClient(target);
      clients.set(target.name, c);
    }
    return c;
  }

  /** The work of one run: each selected target's listed or discovered projects. */
  async function plan(request: ScanRequest, deadline: number): Promise<Plan> {
    const all = await targets();
    const wanted = request.targets && request.targets.length > 0 ? new Set(request.targets) : undefined;
    if (wanted) {
      const unknown = [...wanted].filter((name) => !all.some((t) => t.name === name));
      if (unknown.length > 0)
        throw new UnknownSelectionError(
          `no target named ${unknown.join(', ')} (targets: ${all.map((t) => t.name).join(', ')})`,
        );
    }
    const selected = all.filter((t) => !wanted || wanted.has(t.name));
    const items: WorkItem[] = [];
    const failures: DiscoveryFailure[] = [];
    const caps: Record<string, number> = {};
    const seen = new Set<string>();
    await Promise.all(
      selected.map(async (target) => {
        caps[target.name] = target.concurrency;
        let projects: readonly string[];
        if (target.discover) {
          try {
            projects = selectDiscovered(
              await client(target).listProjects(target.discover.identityEndpoint, { deadline }),
              target.discover,
            );
          } catch (error) {
            failures.push({
              target: target.name,
              region: target.upstream.region,
              projectId: '*',
              failure: describeFailure(error),
            });
            return;
          }
        } else {
          projects = target.projects ?? [];
        }
        for (const projectId of projects)
          items.push({ target: target.name, region: target.upstream.region, projectId });
      }),
    );
    let chosen = items;
    if (request.projects && request.projects.length > 0) {
      const wantedProjects = new Set(request.projects);
      chosen = items.filter((i) => wantedProjects.has(i.projectId));
      for (const i of chosen) seen.add(i.projectId);
      const missing = [...wantedProjects].filter((p) => !seen.has(p));
      if (missing.length > 0 && failures.length === 0)
        throw new UnknownSelectionError(
          `project ${missing.join(', ')} is not among the projects of ${selected.map((t) => t.name).join(', ')}`,
        );
    }
    // A stable order: by target as configured, then by project id.
    const order = new Map(all.map((t, i) => [t.name, i]));
    chosen.sort(
      (a, b) =>
        (order.get(a.target) ?? 0) - (order.get(b.target) ?? 0) ||
        (a.projectId < b.projectId ? -1 : a.projectId > b.projectId ? 1 : 0),
    );
    return { items: chosen, failures, caps };
  }

  /** The client of a target by name (workers receive names). */
  async function clientFor(name: string): Promise<{ target: ScanTarget; client: TargetClient }> {
    const target = (await targets()).find((t) => t.name === name);
    if (!target) throw new UnknownSelectionError(`no target named ${name}`);
    return { target, client: client(target) };
  }

  /**
   * Whether a work item names a project this configuration scans: a configured target, its own
   * region, and a project it lists or (for a discovering target) discovers now. A message on the
   * queue is not trusted to say so: anyone who can send to it could name any project.
   */
  async function covers(item: WorkItem, deadline: number): Promise<boolean> {
    const target = (await targets()).find((t) => t.name === item.target);
    if (!target || target.upstream.region !== item.region) return false;
    if (!target.discover) return (target.projects ?? []).includes(item.projectId);
    const discover = target.discover;
    const list = (maxAgeMs: number) => {
      // One discovery shared by the work items a container runs within a minute, not one per message.
      const cached = discovered.get(target.name);
      if (cached && Date.now() - cached.at < maxAgeMs) return cached.ids;
      const ids = client(target)
        .listProjects(discover.identityEndpoint, { deadline })
        .then((found) => selectDiscovered(found, discover));
      ids.catch(() => discovered.delete(target.name));
      discovered.set(target.name, { at: Date.now(), ids });
      return ids;
    };
    // A project missing from a list older than a few seconds may be new: ask again once.
    return (await list(DISCOVERY_MAX_AGE_MS)).includes(item.projectId) || (await list(5_000)).includes(item.projectId);
  }

  return { targets, plan, clientFor, covers };
}

export type TargetCatalog = ReturnType<typeof catalogOf>;
