import type { SimCluster } from '../fleetFile/fleet';

type Json = Record<string, unknown>;
type Bad = (detail: string) => never;

const intOrPercent = (v: unknown): boolean =>
  (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'string' && /^\d+%?$/.test(v));

/**
 * `POST /_sim/kube/pdbs {cluster, namespace, name, minAvailable? | maxUnavailable?, unhealthy?, observed?}`:
 * what a person changes in the cluster: a PDB's spec (the generation moves on; the status catches up
 * unless `observed: false`), or how many of its pods are not Ready.
 */
export function setPdb(c: SimCluster, b: Json, bad: Bad): Json {
  const w = c.kube.workloads.find((x) => x.namespace === b.namespace && x.name === b.name);
  if (!w) bad(`no workload ${String(b.namespace)}/${String(b.name)} in ${c.name}`);
  if (b.minAvailable !== undefined && !intOrPercent(b.minAvailable))
    bad('minAvailable must be a count or a percentage');
  if (b.maxUnavailable !== undefined && !intOrPercent(b.maxUnavailable))
    bad('maxUnavailable must be a count or a percentage');
  if (b.minAvailable !== undefined && b.maxUnavailable !== undefined)
    bad('give minAvailable or maxUnavailable, not both');
  if (
    b.unhealthy !== undefined &&
    (typeof b.unhealthy !== 'number' || !Number.isInteger(b.unhealthy) || b.unhealthy < 0)
  )
    bad('unhealthy must be a non-negative integer');
  if (b.observed !== undefined && typeof b.observed !== 'boolean') bad('observed must be true or false');
  if (b.minAvailable !== undefined || b.maxUnavailable !== undefined) {
    const generation = (w.pdb?.generation ?? 0) + 1;
    w.pdb = {
      minAvailable: b.minAvailable as number | string | undefined,
      maxUnavailable: b.maxUnavailable as number | string | undefined,
      generation,
      observedGeneration: b.observed === false ? (w.pdb?.observedGeneration ?? 0) : generation,
    };
  } else if (b.observed === true && w.pdb) w.pdb.observedGeneration = w.pdb.generation;
  if (typeof b.unhealthy === 'number') w.unhealthy = b.unhealthy;
  return {
    cluster: c.name,
    namespace: w.namespace,
    name: w.name,
    pdb: w.pdb ?? null,
    unhealthy: w.unhealthy,
  };
}

/** `POST /_sim/kube/nodes {cluster, pool, index, notReady?, cordoned?}`. */
export function setNode(c: SimCluster, b: Json, bad: Bad): Json {
  const pool = c.pools.find((p) => p.name === b.pool);
  if (!pool) bad(`no pool ${String(b.pool)} in ${c.name}`);
  if (typeof b.index !== 'number' || !Number.isInteger(b.index) || b.index < 0 || b.index >= pool.count)
    bad(`index must be 0…${pool.count - 1}`);
  const key = `${pool.name}/${b.index}`;
  const now = c.kube.nodeState.get(key) ?? { notReady: false, cordoned: false };
  if (b.notReady !== undefined) now.notReady = b.notReady === true;
  if (b.cordoned !== undefined) now.cordoned = b.cordoned === true;
  c.kube.nodeState.set(key, now);
  return { cluster: c.name, pool: pool.name, index: b.index, ...now };
}

/** `POST /_sim/kube/access {cluster, access}`: what Warden's identity may read (`full`, `rbac-reader`, `none`). */
export function setAccess(c: SimCluster, b: Json, bad: Bad): Json {
  if (b.access !== 'full' && b.access !== 'rbac-reader' && b.access !== 'none')
    bad('access must be full, rbac-reader or none');
  c.kube.access = b.access;
  return { cluster: c.name, access: c.kube.access };
}

/** At most this long: a slower API server is one that never answers (authorized IP ranges play that). */
const MAX_DELAY_MS = 120_000;

/**
 * `POST /_sim/kube/slow {cluster, ms}`: the API server takes `ms` longer to answer every request
 * (an overloaded control plane, a far region); `ms: 0` makes it answer at once again.
 */
export function setSlow(c: SimCluster, b: Json, bad: Bad): Json {
  if (typeof b.ms !== 'number' || !Number.isInteger(b.ms) || b.ms < 0 || b.ms > MAX_DELAY_MS)
    bad(`ms must be an integer from 0 to ${MAX_DELAY_MS}`);
  c.kube.delayMs = b.ms;
  return { cluster: c.name, ms: b.ms };
}
