/** How many tasks {@link runBounded} runs at once, in all and per group. */
export interface Bounds {
  readonly total: number;
  readonly perGroup: number;
}

/**
 * Runs `task` for each item, taken in the items' order, with at most `bounds.total` in flight and at
 * most `bounds.perGroup` of one group (`groupOf`) in flight: an item whose group is full waits while
 * later items of other groups go ahead. Once `stop()` answers true no further item is taken; the
 * ones in flight finish. Resolves, once nothing is in flight, with the items never taken (in order).
 * `task` must not reject: each item's failure is the caller's to record.
 */
export async function runBounded<T>(
  items: readonly T[],
  bounds: Bounds,
  groupOf: (item: T) => string,
  task: (item: T) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<T[]> {
  const total = Math.max(1, Math.floor(bounds.total));
  const perGroup = Math.max(1, Math.floor(bounds.perGroup));
  // Per group, its items in order (with their place in `items`) and how far it has been taken.
  const groups = new Map<string, { items: { at: number; item: T }[]; next: number; active: number }>();
  items.forEach((item, at) => {
    const key = groupOf(item);
    const group = groups.get(key) ?? { items: [], next: 0, active: 0 };
    group.items.push({ at, item });
    groups.set(key, group);
  });
  const running = new Set<Promise<void>>();
  const pick = (): { group: { active: number }; item: T } | undefined => {
    let best: { items: { at: number; item: T }[]; next: number; active: number } | undefined;
    for (const group of groups.values()) {
      const head = group.items[group.next];
      if (head === undefined || group.active >= perGroup) continue;
      if (best === undefined || head.at < (best.items[best.next]?.at ?? Infinity)) best = group;
    }
    const head = best?.items[best.next];
    if (best === undefined || head === undefined) return undefined;
    best.next += 1;
    return { group: best, item: head.item };
  };
  for (;;) {
    if (stop()) break;
    const chosen = running.size < total ? pick() : undefined;
    if (chosen === undefined) {
      if (running.size === 0) break;
      await Promise.race(running);
      continue;
    }
    chosen.group.active += 1;
    const done: Promise<void> = task(chosen.item).finally(() => {
      chosen.group.active -= 1;
      running.delete(done);
    });
    running.add(done);
  }
  await Promise.all(running);
  return [...groups.values()]
    .flatMap((g) => g.items.slice(g.next))
    .sort((a, b) => a.at - b.at)
    .map((x) => x.item);
}
