/** What one rule flagged in a scan: findings, their GB, and the system snapshots it was kept from. */
export interface RuleCount {
  /** Snapshots flagged (volumes, for UNPROTECTED_VOLUME rules). */
  findings: number;
  /** Their size in GB (the volumes' for UNPROTECTED_VOLUME). */
  gb: number;
  /** Snapshots the rule matched but may not flag: the cloud's own backups (isSystemSnapshot). */
  protected: number;
}

export type RuleTally = Record<string, RuleCount>;

/** Counts per rule as a scan decides findings (keys are rule names; no prototype, whatever they are). */
export function createRuleTally() {
  const byRule = Object.create(null) as RuleTally;
  const entry = (rule: string) => byRule[rule] ?? (byRule[rule] = { findings: 0, gb: 0, protected: 0 });
  return {
    byRule,
    flagged(rule: string, size: unknown): void {
      const e = entry(rule);
      e.findings++;
      e.gb += typeof size === 'number' && Number.isFinite(size) && size > 0 ? size : 0;
    },
    kept(rule: string): void {
      entry(rule).protected++;
    },
  };
}

/** Adds the tallies of several projects. */
export function sumRuleTallies(tallies: Iterable<RuleTally>): RuleTally {
  const total = Object.create(null) as RuleTally;
  for (const tally of tallies) {
    for (const [rule, c] of Object.entries(tally)) {
      const t = total[rule] ?? (total[rule] = { findings: 0, gb: 0, protected: 0 });
      t.findings += c.findings;
      t.gb += c.gb;
      t.protected += c.protected;
    }
  }
  return total;
}
