import type { FleetRow } from '../../shared/domain/fleetOverview';
import {
  byAttention,
  fleetRow,
  OVERVIEW_ROWS,
  OverviewBuilder,
  overviewOf,
  patchOverview,
  tableRows,
} from '../../shared/domain/fleetOverview';
import { RINGS } from '../../shared/domain/rings';

/** The fleet summary is built from slices and merged: it must equal the overview of the whole fleet. */
const row = (i: number, over: Partial<Parameters<typeof fleetRow>[0]> = {}): FleetRow =>
  fleetRow({
    id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-${i}`,
    name: `aks-${String(i).padStart(4, '0')}`,
    subscriptionId: 's',
    location: 'westeurope',
    ring: RINGS[i % 4] ?? 'canary',
    controlPlaneVersion: i % 3 === 0 ? '1.34.9' : '1.35.8',
    poolVersions: ['1.35.8', '1.35.8'],
    support: i % 7 === 0 ? 'unsupported' : 'supported',
    autoUpgradeChannel: 'none',
    findings:
      i % 11 === 0
        ? [{ severity: 'critical', message: 'c' }]
        : i % 5 === 0
          ? [
              { severity: 'warning', message: 'w' },
              { severity: 'info', message: 'i' },
            ]
          : [],
    ...over,
  });

const fleet = Array.from({ length: 1500 }, (_, i) => row(i));

it('merges slices into the same overview as the whole fleet, each ring keeping its 200 most in need', () => {
  const merged = new OverviewBuilder();
  for (let i = 0; i < fleet.length; i += 37) merged.merge(overviewOf(fleet.slice(i, i + 37)));
  const whole = overviewOf(fleet);
  expect(merged.result()).toEqual(whole);

  expect(whole.clusters).toBe(1500);
  expect(whole.unsupported).toBe(fleet.filter((r) => r.support === 'unsupported').length);
  expect(whole.findings).toBe(fleet.reduce((n, r) => n + r.findingCount, 0));
  expect(whole.byRingMinor['production|1.34']).toBe(
    fleet.filter((r) => r.ring === 'production' && r.controlPlaneVersion === '1.34.9').length,
  );
  for (const ring of RINGS) {
    const expected = fleet
      .filter((r) => r.ring === ring)
      .sort(byAttention)
      .slice(0, OVERVIEW_ROWS);
    expect(whole.rows[ring]).toEqual(expected);
  }
});

it('draws the table in the order a sort of the whole fleet gives, for every ring and none', () => {
  const o = overviewOf(fleet);
  const all = tableRows(o, undefined, 200);
  expect(all.rows).toEqual([...fleet].sort(byAttention).slice(0, 200));
  expect(all.matching).toBe(1500);
  const prod = tableRows(o, 'production', 200);
  expect(prod.rows).toEqual(
    fleet
      .filter((r) => r.ring === 'production')
      .sort(byAttention)
      .slice(0, 200),
  );
  expect(prod.matching).toBe(375);
  expect(all.rows[0]?.attention).toBe('bad');
});

it('patches one cluster that changed: counts move, its row is replaced in place', () => {
  const o = overviewOf(fleet);
  const before = fleet[77]!; // canary? 77 % 4 = 1: dev, 77 % 11 = 0: critical, 77 % 7 = 0: unsupported
  const after = row(77, { controlPlaneVersion: '1.36.3', support: 'supported', findings: [] });
  const patched = patchOverview(o, before, after);
  expect(patched).toEqual(overviewOf(fleet.map((r) => (r.id === before.id ? after : r))));
  expect(patched.unsupported).toBe(o.unsupported - 1);
  expect(patched.byRingMinor['dev|1.36']).toBe(1);
  const gone = patchOverview(o, before, undefined);
  expect(gone.clusters).toBe(1499);
  expect(gone.rows.dev?.some((r) => r.id === before.id)).toBe(false);
});
