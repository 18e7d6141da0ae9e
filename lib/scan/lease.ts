import { StateUnavailableError } from '../state/errors';
import type { LeaseStore } from '../state/store';

/** A project's lease while this run holds it. */
export interface HeldLease {
  /** True once the lease could not be renewed before it ran out (another run may hold it now). */
  readonly lost: boolean;
  /** Throws StateUnavailableError when the lease was lost: the run must stop working on the project. */
  check(): void;
  /** Stops the heartbeat and gives the lease back. */
  release(deadline: number): Promise<void>;
}

/**
 * Takes a project's lease for `leaseMs` and renews it every third of that while the run works, so
 * a run that dies (killed, out of memory, frozen) blocks the next one for at most `leaseMs`, while a
 * live one keeps the project however long it takes. Undefined when another live run holds it.
 */
export async function holdLease(
  store: LeaseStore,
  projectId: string,
  owner: string,
  leaseMs: number,
  deadline: number,
): Promise<HeldLease | undefined> {
  let heldUntil = Date.now() + leaseMs;
  if (!(await store.acquireLease(projectId, owner, heldUntil, deadline))) return undefined;
  let lost = false;
  let renewing = false;
  const renew = async () => {
    if (renewing || lost) return;
    renewing = true;
    const until = Date.now() + leaseMs;
    try {
      // A renewal that cannot finish while the lease still holds is no use: bounded by it.
      if (await store.renewLease(projectId, owner, until, Math.min(deadline, heldUntil))) heldUntil = until;
      else lost = true;
    } catch {
      // A transient failure: the next beat tries again, as long as the lease has not run out.
    } finally {
      renewing = false;
      if (Date.now() >= heldUntil) lost = true;
    }
  };
  const timer = setInterval(() => void renew(), Math.max(100, Math.floor(leaseMs / 3)));
  timer.unref?.();
  const isLost = () => lost || Date.now() >= heldUntil;
  return {
    get lost() {
      return isLost();
    },
    check() {
      if (isLost())
        throw new StateUnavailableError(
          `the lease of project ${projectId} could not be renewed; another scan may hold it now`,
        );
    },
    async release(releaseDeadline: number) {
      clearInterval(timer);
      await store.releaseLease(projectId, owner, releaseDeadline).catch(() => undefined);
    },
  };
}
