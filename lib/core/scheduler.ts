/** How many tasks may run at once: overall, and per group (a group not named has no cap of its own). */
export interface CappedOptions<T> {
  concurrency: number;
  groupOf: (item: T) => string;
  caps?: Readonly<Record<string, number>>;
}

/**
 * Runs `run` over every item, at most `concurrency` at once overall (at least one) and at most
 * `caps[group]` at once per group. Items start in order; one whose group is full waits while later
 * items of other groups start. Results come back in the items' order. `run` is expected to settle
 * every task itself: a task that rejects rejects the whole run.
 */
export function runCapped<T, R>(
  items: readonly T[],
  options: CappedOptions<T>,
  run: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const caps = options.caps ?? {};
  const running = new Map<string, number>();
  const waiting: number[] = items.map((_, i) => i);
  let slots = Math.max(1, options.concurrency);
  let active = 0;
  return new Promise<R[]>((resolve, reject) => {
    const pump = () => {
      // Start whatever the overall and per-group caps allow, in order, skipping capped groups.
      for (let i = 0; i < waiting.length && slots > 0; ) {
        const index = waiting[i] as number;
        const item = items[index] as T;
        const group = options.groupOf(item);
        if ((running.get(group) ?? 0) >= (caps[group] ?? Number.POSITIVE_INFINITY)) {
          i++;
          continue;
        }
        waiting.splice(i, 1);
        slots--;
        active++;
        running.set(group, (running.get(group) ?? 0) + 1);
        run(item, index).then((result) => {
          results[index] = result;
          slots++;
          active--;
          running.set(group, (running.get(group) ?? 1) - 1);
          pump();
        }, reject);
      }
      if (active === 0 && waiting.length === 0) resolve(results);
    };
    pump();
  });
}
