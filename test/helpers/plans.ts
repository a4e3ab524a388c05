import type { ClusterSnapshot } from '../../shared/domain/cluster';
import type { By, Plan, PlanGate } from '../../shared/domain/plan';
import { planCluster } from '../../shared/domain/plan';
import type { NewPlan } from '../../shared/domain/planTransition';
import { proposePlan } from '../../shared/domain/planTransition';
import type { Ring } from '../../shared/domain/rings';
import type { RegionVersions } from '../../shared/domain/versions';

export const SUB = '00000000-0000-0000-0000-0000000000aa';

export function snapshot(
  name: string,
  ring: Ring,
  version = '1.29.7',
  extra: Partial<ClusterSnapshot> = {},
): ClusterSnapshot {
  const id = `/subscriptions/${SUB}/resourceGroups/rg-${ring}/providers/Microsoft.ContainerService/managedClusters/${name}`;
  return {
    id,
    key: `${SUB}:rg-${ring}:${name}`.toLowerCase(),
    subscriptionId: SUB,
    resourceGroup: `rg-${ring}`,
    name,
    location: 'westeurope',
    ring,
    tags: { environment: ring, 'owner-email': 'team@contoso.com' },
    kubernetesVersion: version,
    supportPlan: 'KubernetesOfficial',
    autoUpgradeChannel: 'none',
    nodePools: [
      {
        name: 'user1',
        mode: 'User',
        osType: 'Linux',
        orchestratorVersion: version,
        count: 3,
        nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202501.01.0',
      },
      {
        name: 'system',
        mode: 'System',
        osType: 'Linux',
        orchestratorVersion: version,
        count: 3,
        nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202501.01.0',
      },
    ],
    maintenanceConfigurations: [],
    lastSeen: '2026-11-25T10:00:00.000Z',
    ...extra,
  };
}

export const REGION: RegionVersions = {
  location: 'westeurope',
  minors: [
    { minor: '1.31', isPreview: true, patches: ['1.31.1'], supportPlans: ['KubernetesOfficial'] },
    { minor: '1.30', isPreview: false, patches: ['1.30.1', '1.30.3'], supportPlans: ['KubernetesOfficial'] },
    {
      minor: '1.29',
      isPreview: false,
      patches: ['1.29.5', '1.29.7', '1.29.9'],
      supportPlans: ['KubernetesOfficial', 'AKSLongTermSupport'],
    },
    {
      minor: '1.28',
      isPreview: false,
      patches: ['1.28.12'],
      supportPlans: ['KubernetesOfficial', 'AKSLongTermSupport'],
    },
  ],
};

export const GATE: PlanGate = {
  gated: true,
  required: 1,
  autoExecute: true,
  expiryMs: 24 * 3_600_000,
  reminderAt: 0.5,
  escalateAt: 0.75,
  approvers: ['oncall@contoso.com'],
  secondary: ['lead@contoso.com'],
};

export const BY_EVENT: By = {
  actor: 'warden',
  source: { kind: 'event', eventId: 'ev-1', eventType: 'NewKubernetesVersionAvailable' },
};

export function newPlan(overrides: Partial<NewPlan> = {}, ring: Ring = 'production'): NewPlan {
  const s = snapshot(`aks-${ring}-1`, ring);
  return {
    id: 'plan-1',
    cluster: planCluster(s),
    kind: 'patch',
    from: '1.29.7',
    to: '1.29.9',
    steps: [
      { kind: 'control-plane', from: '1.29.7', to: '1.29.9' },
      { kind: 'node-pool', pool: 'system', mode: 'System', from: '1.29.7', to: '1.29.9' },
    ],
    gate: GATE,
    window: { source: 'policy', description: 'Saturday 02:00 +00:00 for 4 h' },
    findings: [],
    urgency: 'normal',
    reason: 'NewKubernetesVersionAvailable',
    initiator: 'warden',
    by: BY_EVENT,
    ...overrides,
  };
}

export function proposed(
  overrides: Partial<NewPlan> = {},
  ring: Ring = 'production',
  now = new Date('2026-11-25T10:00:00Z'),
): Plan {
  return proposePlan(newPlan(overrides, ring), now).plan;
}
