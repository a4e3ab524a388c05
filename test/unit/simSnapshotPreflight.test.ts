import { OperationEngine } from '../../local/sim/arm/operations';
import { setQuota } from '../../local/sim/compute/model';
import type { SimContext } from '../../local/sim/context';
import type { SimCluster } from '../../local/sim/fleetFile/fleet';
import { loadFleetFile } from '../../local/sim/fleetFile/fleet';
import { setAccess, setNode, setPdb } from '../../local/sim/kube/control';
import { setSubnetUse } from '../../local/sim/network/model';
import { armPart } from '../../local/sim/persistence/armState';
import { decode, encode } from '../../local/sim/persistence/snapshot';

const NOW = new Date('2026-11-25T10:00:00Z');
const bad = (detail: string): never => {
  throw new Error(detail);
};

function byName(fleet: SimContext['fleet'], name: string): SimCluster {
  const c = [...fleet.clusters.values()].find((x) => x.name === name);
  if (!c) throw new Error(`demo fleet lacks ${name}`);
  return c;
}

function context(): Pick<SimContext, 'fleet' | 'lro'> {
  return { fleet: loadFleetFile('local/fleets/demo.json', NOW), lro: new OperationEngine(() => NOW) };
}

describe("the simulator's snapshot keeps what pre-flight reads", () => {
  test('a PDB, a node, cluster access, a subnet and a quota changed before a restart are back after it', () => {
    const before = context();
    const pdbCluster = byName(before.fleet, 'aks-prod-pdb-weu');
    setPdb(pdbCluster, { namespace: 'orders', name: 'orders-db', maxUnavailable: 1 }, bad);
    const pool = pdbCluster.pools[0]?.name ?? '';
    setNode(pdbCluster, { pool, index: 0, notReady: true }, bad);
    setAccess(pdbCluster, { access: 'rbac-reader' }, bad);
    setSubnetUse(before, { vnet: 'vnet-payments-neu', subnet: 'snet-apps', used: 120 }, bad);
    const quota = {
      subscriptionId: '3d9a8f4c-7e3b-4a0c-9f5d-2c3e4a5b6c73',
      location: 'eastus',
      name: 'standardEDSv5Family',
      limit: 100,
    };
    setQuota(before.fleet, quota, bad);
    const saved = decode(encode(armPart(before as SimContext).save()));

    const after = context();
    armPart(after as SimContext).load(saved);
    const c = byName(after.fleet, 'aks-prod-pdb-weu');
    expect(c.kube.workloads.find((w) => w.name === 'orders-db')?.pdb?.maxUnavailable).toBe(1);
    expect(c.kube.access).toBe('rbac-reader');
    expect([...c.kube.nodeState.values()].some((n) => n.notReady)).toBe(true);
    const subnet = [...after.fleet.vnets.values()]
      .find((v) => v.id.toLowerCase().endsWith('/vnet-payments-neu'))
      ?.subnets.find((s) => s.name === 'snet-apps');
    expect(subnet?.used).toBe(120);
    expect([...after.fleet.quotas.values()].some((q) => q.limit === 100)).toBe(true);
  });
});
