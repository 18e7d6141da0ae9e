import { FailureError } from '../domain/failure';

/** The findings table could not be read or written within the time left. */
export class StateUnavailableError extends FailureError {
  override name = 'StateUnavailableError';
  readonly code = 'STATE_UNAVAILABLE' as const;
}

/** The table (or the SDK, before sending) refused an item as invalid: sending it again cannot help. */
export class InvalidItemError extends StateUnavailableError {
  override name = 'InvalidItemError';
}

/** The table is not keyed as the store needs: nothing can be read or written safely until it is fixed. */
export class TableMisconfiguredError extends StateUnavailableError {
  override name = 'TableMisconfiguredError';
}
