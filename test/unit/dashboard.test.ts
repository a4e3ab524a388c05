import type { Plan } from '../../shared/domain/plan';
import type { ClusterView } from '../../shared/usecases/fleetStatus';
import { PLAN_ROWS, renderDashboard } from '../../shared/web/dashboard';

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
    expect(page).toMatch(/class="badge bad" data-status="failed">failed</);
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

  test('links the local outbox only where the local runtime says where it is', () => {
    const data = { clusters: [], plans: [], events: [], now: new Date('2026-11-25T12:00:00Z') };
    expect(renderDashboard({ ...data, localOutbox: '/_local/outbox' })).toMatch(
      /<a href="\/_local\/outbox" id="local-outbox"\s*>local outbox: /,
    );
    expect(renderDashboard(data)).not.toContain('local-outbox');
  });

  test('a full plan list says it is the latest and where the rest are', () => {
    const plan = (n: number) =>
      ({
        id: `p${n}`,
        cluster: { name: `aks-${n}`, ring: 'dev' },
        kind: 'patch',
        from: '1.35.6',
        to: '1.35.8',
        status: 'succeeded',
        updatedAt: '2026-11-25T11:00:00Z',
      }) as unknown as Plan;
    const page = (count: number) =>
      renderDashboard({
        clusters: [],
        plans: Array.from({ length: count }, (_, i) => plan(i)),
        events: [],
        now: new Date('2026-11-25T12:00:00Z'),
      });
    expect(page(PLAN_ROWS)).toContain(`The latest ${PLAN_ROWS} changed; the counts above list one status.`);
    expect(page(PLAN_ROWS - 1)).not.toContain('The latest');
  });

  describe('a large fleet', () => {
    const finding = (severity: 'critical' | 'warning') =>
      ({
        code: 'x',
        severity,
        message: `a ${severity} finding`,
        guidance: 'g',
      }) as unknown as ClusterView['findings'][number];
    // 250 clusters: 3 with a critical finding, 5 with a warning, the rest clean; two minors; every ring.
    const rings = ['canary', 'dev', 'staging', 'production'] as const;
    const fleet = Array.from({ length: 250 }, (_, i) =>
      cluster({
        id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-${i}`,
        name: `aks-${String(i).padStart(3, '0')}`,
        ring: rings[i % 4],
        controlPlaneVersion: i % 5 === 0 ? '1.34.9' : '1.35.8',
        findings:
          i >= 240 && i < 243 ? [finding('critical')] : i >= 100 && i < 105 ? [finding('warning')] : [],
      }),
    );
    const render = (filter?: { ring?: 'production'; q?: string }) =>
      renderDashboard({
        clusters: fleet,
        plans: [],
        events: [],
        now: new Date('2026-11-25T12:00:00Z'),
        ...(filter && { filter }),
      });
    const rowNames = (html: string) =>
      [...html.matchAll(/<a href="\/api\/clusters\/[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]);

    test('draws at most 200 rows, the clusters most in need of a look first, and counts the rest', () => {
      const html = render();
      const names = rowNames(html);
      expect(names).toHaveLength(200);
      expect(html).toContain('Showing 200 of 250 clusters, most in need of a look first.');
      expect(names.slice(0, 3).sort()).toEqual(['aks-240', 'aks-241', 'aks-242']);
      expect(names.slice(3, 8).sort()).toEqual(['aks-100', 'aks-101', 'aks-102', 'aks-103', 'aks-104']);
      // Among clean clusters, production before the lower rings.
      expect(fleet.find((c) => c.name === names[8])?.ring).toBe('production');
      expect(html).toMatch(/<span class="badge">250 clusters<\/span>/);
    });

    test('filters by ring and by part of the name', () => {
      const prod = render({ ring: 'production' });
      expect(rowNames(prod)).toHaveLength(62);
      expect(prod).toContain('62 clusters matching the filter');
      expect(prod).toMatch(/<option value="production" selected>/);
      const named = render({ q: 'AKS-24' });
      expect(rowNames(named).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `aks-24${i}`));
    });

    test('sums the fleet by ring and control-plane minor, whatever the filter', () => {
      const html = render({ ring: 'production' });
      const row = (ring: string) =>
        html
          .match(
            new RegExp(
              `<td><a href="\\?ring=${ring}">${ring}</a></td>\\s*<td>(\\d*)</td>\\s*<td>(\\d*)</td>`,
            ),
          )
          ?.slice(1);
      expect(row('canary')).toEqual(['13', '50']);
      expect(row('production')).toEqual(['12', '50']);
    });

    test('shows the filter text as text', () => {
      const html = render({ q: EVIL });
      expect(html).not.toContain('<img');
      expect(html).toContain('value="&lt;img src=x onerror=alert(1)&gt;"');
      expect(html).toContain('0 clusters matching the filter');
    });
  });
});
