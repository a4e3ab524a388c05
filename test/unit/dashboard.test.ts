import type { Plan } from '../../shared/domain/plan';
import type { ClusterView } from '../../shared/usecases/fleetStatus';
import { renderDashboard } from '../../shared/web/dashboard';

const EVIL = '<img src=x onerror=alert(1)>';

function cluster(overrides: Partial<ClusterView>): ClusterView {
  return {
    id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c1',
    name: 'c1',
    subscriptionId: 's',
    resourceGroup: 'rg',
    location: 'westeurope',
    ring: 'production',
    controlPlaneVersion: '1.35.2',
    supportPlan: 'KubernetesOfficial',
    support: { status: 'supported' },
    autoUpgradeChannel: 'none',
    nodeOsUpgradeChannel: 'NodeImage',
    provisioningState: 'Succeeded',
    nodePools: [],
    maintenanceConfigurations: [],
    windowsReadAt: null,
    tags: {},
    findings: [],
    lastSeen: '2026-11-25T10:00:00Z',
    deleted: false,
    deletedAt: null,
    ...overrides,
  };
}

describe('the dashboard page', () => {
  test('given a cluster name, a finding and a plan reason carrying markup, when rendered, then all of it is text', () => {
    const page = renderDashboard({
      clusters: [
        cluster({
          name: EVIL,
          findings: [
            {
              code: 'node-os-channel-unset',
              severity: 'warning',
              message: EVIL,
              guidance: 'x',
            } as unknown as ClusterView['findings'][number],
          ],
        }),
      ],
      plans: [
        {
          id: 'p1',
          cluster: { name: EVIL, ring: 'production' },
          kind: 'minor',
          from: '1.35.2',
          to: '1.36.4',
          status: 'failed',
          updatedAt: '2026-11-25T11:00:00Z',
          failure: { step: 1, reason: EVIL },
        } as unknown as Plan,
      ],
      events: [],
      now: new Date('2026-11-25T12:00:00Z'),
    });
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toMatch(/1 clusters/);
    expect(page).toMatch(/class="badge bad">failed</);
  });

  test('given an empty fleet, it says how to fill it', () => {
    const page = renderDashboard({
      clusters: [],
      plans: [],
      events: [],
      now: new Date('2026-11-25T12:00:00Z'),
    });
    expect(page).toMatch(/No clusters yet: the fleet sweep runs hourly \(POST \/api\/sweep runs it now\)/);
  });
});
