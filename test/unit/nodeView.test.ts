import type { PlanPreflight } from '../../shared/domain/preflight';
import { latestPreflight } from '../../shared/usecases/pageViews';
import { renderClusterPage } from '../../shared/web/clusterPage';
import { snapshotOf } from '../helpers/memoryClusterStore';
import { proposed } from '../helpers/plans';

/** The cluster page's node view: the latest pre-flight's nodes with when they were read, or why not. */
const NOW = new Date('2026-11-25T12:00:00Z');
const cluster = {
  snapshot: snapshotOf({ subscriptionId: '1b7e6d2a-5c1f-4e8a-9d3b-0a1c2e3f4a51', name: 'aks-nodes' }),
  findings: [],
  sweepId: 's',
  etag: '*',
};
const node = (name: string, kernel: string) => ({
  name,
  pool: 'system',
  ready: true,
  cordoned: false,
  kernel,
  osImage: 'Ubuntu 22.04.5 LTS',
  kubelet: 'v1.35.8',
  nodeImage: 'AKSUbuntu-2204gen2containerd-202511.10.0',
});
const report = (checkedAt: string, nodes?: PlanPreflight['nodes']): PlanPreflight => ({
  verdict: 'go',
  checkedAt,
  checks: [],
  ...(nodes !== undefined && { nodes }),
});

test('the latest pre-flight is the one that ran last, not the newest plan', () => {
  const older = { ...proposed({ id: 'older' }), preflight: report('2026-11-25T11:00:00Z') };
  const newer = { ...proposed({ id: 'newer' }), preflight: report('2026-11-25T09:00:00Z') };
  expect(latestPreflight([newer, older, proposed({ id: 'none' })])?.planId).toBe('older');
  expect(latestPreflight([proposed()])).toBeUndefined();
});

test('with nodes: one row per node with kernel, OS image, kubelet and node image, and when they were read', () => {
  const evil = '<img src=x onerror=alert(1)>';
  const plan = {
    ...proposed({ id: 'p1' }),
    preflight: report('2026-11-25T11:30:00Z', [node('aks-system-1', '5.15.0-1075-azure'), node(evil, 'k')]),
  };
  const page = renderClusterPage(
    { cluster, plans: [plan], events: [], preflight: latestPreflight([plan]) },
    undefined,
    NOW,
  );
  const section = /<h2>Nodes<\/h2>[\s\S]*?<\/table>/.exec(page)?.[0] ?? '';
  expect(section).toMatch(
    /2 nodes, read <time datetime="2026-11-25T11:30:00.000Z">Wed 25 Nov 11:30 UTC, 30 min ago<\/time>/,
  );
  expect(section).toContain('href="/api/plans/p1"');
  expect(section).toMatch(
    /<td>aks-system-1<\/td>\s*<td>system<\/td>\s*<td>Ready<\/td>\s*<td>v1\.35\.8<\/td>\s*<td>5\.15\.0-1075-azure<\/td>\s*<td>Ubuntu 22\.04\.5 LTS<\/td>\s*<td>AKSUbuntu-2204gen2containerd-202511\.10\.0<\/td>/,
  );
  expect(section).toContain('&lt;img src=x onerror=alert(1)&gt;');
  expect(section).not.toContain('<img');
});

test('without nodes it says why: no plan checked, or the API could not be read', () => {
  const none = renderClusterPage({ cluster, plans: [], events: [] }, undefined, NOW);
  expect(none).toMatch(/data-nodes="none"[^>]*>\s*No node view yet/);
  const unreadable: PlanPreflight = {
    ...report('2026-11-25T10:00:00Z'),
    verdict: 'warn',
    checks: [
      {
        id: 'nodes-ready',
        status: 'unknown',
        title: 'Nodes Ready and schedulable',
        detail: 'the Kubernetes API answered 403: grant nodes/read',
        guidance: 'https://learn.microsoft.com/',
      },
    ],
  };
  const plan = { ...proposed({ id: 'p2' }), preflight: unreadable };
  const page = renderClusterPage(
    { cluster, plans: [plan], events: [], preflight: latestPreflight([plan]) },
    undefined,
    NOW,
  );
  expect(page).toMatch(
    /data-nodes="unreadable"[^>]*>\s*The nodes could not be read <time[^>]*>Wed 25 Nov 10:00 UTC, 2 h ago<\/time>/,
  );
  expect(page).toContain('the Kubernetes API answered 403: grant nodes/read');
});
