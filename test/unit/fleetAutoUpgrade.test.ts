import type {
  FleetAutoUpgradeProfile,
  FleetCoverage,
  StrategyStage,
} from '../../shared/domain/fleetAutoUpgrade';
import { describeCover, ungatedCovers } from '../../shared/domain/fleetAutoUpgrade';
import { parseFleetId } from '../../shared/domain/fleetGate';

const SUB = '00000000-0000-4000-8000-000000000001';
const fleet = parseFleetId(
  `/subscriptions/${SUB}/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-1`,
)!;
const clusterId = (name: string): string =>
  `/subscriptions/${SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/${name}`;
const members = [
  { name: 'canary', clusterId: clusterId('aks-canary'), group: 'canary' },
  { name: 'staging', clusterId: clusterId('aks-staging'), group: 'staging' },
  { name: 'prod', clusterId: clusterId('aks-prod'), group: 'production' },
  { name: 'loose', clusterId: clusterId('aks-loose') },
];
const stage = (name: string, over: Partial<StrategyStage> = {}): StrategyStage => ({
  name,
  groups: [{ name, beforeGates: 0, afterGates: 0 }],
  beforeGates: 0,
  afterGates: 0,
  ...over,
});
const profile = (over: Partial<FleetAutoUpgradeProfile> = {}): FleetAutoUpgradeProfile => ({
  name: 'stable',
  channel: 'Stable',
  disabled: false,
  ...over,
});
const withStages = (...stages: StrategyStage[]): Partial<FleetAutoUpgradeProfile> => ({
  updateStrategyId: `${fleet.id}/updateStrategies/rings`,
  strategy: { id: `${fleet.id}/updateStrategies/rings`, name: 'rings', stages },
});
const reached = (...profiles: FleetAutoUpgradeProfile[]): Record<string, string[]> => {
  const coverage: FleetCoverage = { fleet, members, autoUpgradeProfiles: profiles };
  return Object.fromEntries(
    [...ungatedCovers([coverage])].map(([key, covers]) => [
      key.split(':').at(-1) ?? '',
      covers.map((c) => `${c.profile}@${c.stage ?? '-'}`),
    ]),
  );
};

describe('which members a Fleet auto-upgrade profile upgrades with no approval gate', () => {
  it('without a strategy: every member, one by one, none gated', () => {
    expect(reached(profile())).toEqual({
      'aks-canary': ['stable@-'],
      'aks-staging': ['stable@-'],
      'aks-prod': ['stable@-'],
      'aks-loose': ['stable@-'],
    });
  });

  it('a disabled profile upgrades nothing', () => {
    expect(reached(profile({ disabled: true }))).toEqual({});
  });

  it('a gate before the production stage holds production only; a member no stage names is not reached', () => {
    const gated = withStages(stage('canary'), stage('staging'), stage('production', { beforeGates: 1 }));
    expect(reached(profile(gated))).toEqual({
      'aks-canary': ['stable@canary'],
      'aks-staging': ['stable@staging'],
    });
  });

  it('a gate of an earlier stage (before, after, or a group after-gate) holds every later stage', () => {
    const after = withStages(stage('canary'), stage('staging', { afterGates: 1 }), stage('production'));
    expect(Object.keys(reached(profile(after)))).toEqual(['aks-canary', 'aks-staging']);
    const groupAfter = withStages(
      stage('canary', { groups: [{ name: 'canary', beforeGates: 0, afterGates: 1 }] }),
      stage('staging'),
      stage('production'),
    );
    expect(Object.keys(reached(profile(groupAfter)))).toEqual(['aks-canary']);
  });

  it("a group's before-gate holds that group only; its stage's other groups go ungated", () => {
    const mixed = withStages(
      stage('canary'),
      stage('rest', {
        groups: [
          { name: 'staging', beforeGates: 0, afterGates: 0 },
          { name: 'production', beforeGates: 1, afterGates: 0 },
        ],
      }),
    );
    expect(reached(profile(mixed))).toEqual({
      'aks-canary': ['stable@canary'],
      'aks-staging': ['stable@rest'],
    });
  });

  it('a strategy that could not be read gates nothing Warden can see', () => {
    expect(reached(profile({ updateStrategyId: `${fleet.id}/updateStrategies/gone` }))['aks-prod']).toEqual([
      'stable@-',
    ]);
  });

  it('each finding says how to close it: a gate in the strategy, or disable the profile', () => {
    const [cover] = ungatedCovers([
      { fleet, members, autoUpgradeProfiles: [profile(withStages(stage('production')))] },
    ]).get(`${SUB}:rg-aks:aks-prod`)!;
    const text = describeCover(cover!);
    expect(text.what).toBe(
      'Fleet Manager auto-upgrade profile stable (fleet fleet-1, channel Stable) can upgrade it: its update strategy rings has no Approval gate before stage production (group production)',
    );
    expect(text.close).toContain(
      'add an Approval gate (beforeGates) before stage production in update strategy rings',
    );
    expect(text.close).toContain(
      'az fleet autoupgradeprofile create -g rg-fleet -f fleet-1 -n stable --channel Stable --disabled',
    );
  });
});
