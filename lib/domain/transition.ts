/**
 * What happened to a finding: first seen (`OPENED`), its type or severity changed (`CHANGED`),
 * still open after the reminder interval (`REMINDER`), gone from a complete scan (`RESOLVED`).
 * A scanner without a findings table has no memory and reports every finding as `OBSERVED`.
 */
export const TRANSITIONS = ['OPENED', 'CHANGED', 'REMINDER', 'RESOLVED', 'OBSERVED'] as const;
export type Transition = (typeof TRANSITIONS)[number];
