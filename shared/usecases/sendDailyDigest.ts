import type { DigestSources } from '../notify/digest';
import { buildDigests } from '../notify/digest';
import type { Outbox } from '../notify/outbox';

export interface DailyDigestPorts {
  readonly sources: DigestSources;
  readonly outbox: Pick<Outbox, 'enqueue'>;
  readonly baseUrl: string;
  readonly ownerTag?: string;
}

/**
 * The daily digest. Primary course:
 * 1. read the fleet (clusters with support status and findings) and the open plans;
 * 2. build one digest for the platform team and one per owner;
 * 3. enqueue them (keyed by day: a second run the same day sends nothing twice).
 */
export async function sendDailyDigest(ports: DailyDigestPorts, now: Date): Promise<{ notices: number }> {
  const [clusters, plans] = await Promise.all([ports.sources.clusters(), ports.sources.openPlans()]);
  const notices = buildDigests(clusters, plans, now, ports.baseUrl, ports.ownerTag);
  await ports.outbox.enqueue(notices, now);
  return { notices: notices.length };
}
