/**
 * The simulator's clusters by key (`sub/rg/name`, lower case), indexed by subscription as they are
 * set and deleted, so what ARM answers per subscription (its clusters, its vCPU usage) costs what
 * that subscription holds, not the whole fleet, as it does in Azure.
 */
export class ClusterMap<C> extends Map<string, C> {
  /** Subscription id (lower case) -> the keys of its clusters. */
  private readonly bySubscription = new Map<string, Set<string>>();

  constructor(entries: Iterable<readonly [string, C]> = []) {
    // Map's own constructor would call set before this class's index exists.
    super();
    for (const [key, value] of entries) this.set(key, value);
  }

  override set(key: string, value: C): this {
    super.set(key, value);
    const sub = subscriptionOf(key);
    let keys = this.bySubscription.get(sub);
    if (keys === undefined) this.bySubscription.set(sub, (keys = new Set()));
    keys.add(key);
    return this;
  }

  override delete(key: string): boolean {
    const sub = subscriptionOf(key);
    const keys = this.bySubscription.get(sub);
    keys?.delete(key);
    if (keys?.size === 0) this.bySubscription.delete(sub);
    return super.delete(key);
  }

  override clear(): void {
    this.bySubscription.clear();
    super.clear();
  }

  /** The clusters of one subscription (any case), in the order they were added. */
  *inSubscription(subscriptionId: string): IterableIterator<C> {
    for (const key of this.bySubscription.get(subscriptionId.toLowerCase()) ?? []) {
      const c = super.get(key);
      if (c !== undefined) yield c;
    }
  }
}

function subscriptionOf(key: string): string {
  const slash = key.indexOf('/');
  return (slash < 0 ? key : key.slice(0, slash)).toLowerCase();
}
