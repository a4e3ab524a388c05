import type { ClusterSnapshot, NodePoolSnapshot } from '../../shared/domain/cluster';
import type { ComplianceContext, Finding } from '../../shared/domain/compliance';
import {
  assessCompliance,
  imageFamilyKey,
  likelyPath,
  maintenanceFindings,
  nodeImageDate,
  windowSignature,
} from '../../shared/domain/compliance';
import type { RegionVersions } from '../../shared/domain/versions';

const now = new Date('2026-11-25T12:00:00Z');

const region: RegionVersions = {
  location: 'westeurope',
  minors: ['1.35', '1.34', '1.33', '1.32', '1.31'].map((minor) => ({
    minor,
    isPreview: false,
    patches: [`${minor}.1`, `${minor}.4`],
    supportPlans: minor === '1.31' ? ['KubernetesOfficial', 'AKSLongTermSupport'] : ['KubernetesOfficial'],
  })),
};

const weekly = (durationHours: number): Record<string, unknown> => ({
  maintenanceWindow: {
    schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Sunday' } },
    durationHours,
    utcOffset: '+00:00',
    startDate: '2026-01-01',
    startTime: '01:00',
  },
});

const LATEST = 'AKSUbuntu-2204gen2containerd-202611.18.0';

function pool(over: Partial<NodePoolSnapshot> = {}): NodePoolSnapshot {
  return {
    name: 'system',
    mode: 'System',
    osType: 'Linux',
    osSku: 'Ubuntu',
    orchestratorVersion: '1.34.4',
    nodeImageVersion: LATEST,
    maxSurge: '33%',
    count: 3,
    ...over,
  };
}

function cluster(over: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return {
    id: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-1',
    key: 's1:rg:aks-1',
    subscriptionId: 's1',
    resourceGroup: 'rg',
    name: 'aks-1',
    location: 'westeurope',
    ring: 'staging',
    tags: {},
    kubernetesVersion: '1.34.4',
    supportPlan: 'KubernetesOfficial',
    autoUpgradeChannel: 'stable',
    nodeOsUpgradeChannel: 'NodeImage',
    nodePools: [pool()],
    maintenanceConfigurations: [{ name: 'aksManagedAutoUpgradeSchedule', properties: weekly(4) }],
    lastSeen: now.toISOString(),
    ...over,
  };
}

function ctx(over: Partial<ComplianceContext> = {}): ComplianceContext {
  const family = imageFamilyKey(pool()) ?? '';
  return {
    now,
    region,
    latestNodeImages: new Map([[family, LATEST]]),
    gatedRings: ['production'],
    productionChannel: 'stable',
    windowsKnown: true,
    ...over,
  };
}

const codes = (findings: Finding[]): string[] => findings.map((f) => `${f.code}:${f.severity}`);

describe('compliance findings', () => {
  it('given a current, well-configured staging cluster, finds nothing', () => {
    expect(assessCompliance(cluster(), ctx())).toEqual([]);
  });

  describe('version support', () => {
    it('given N-2, says support ends with the next minor (info)', () => {
      const c = cluster({
        kubernetesVersion: '1.33.4',
        nodePools: [pool({ orchestratorVersion: '1.33.4' })],
      });
      const [f] = assessCompliance(c, ctx());
      expect(codes([f!])).toEqual(['version-support:info']);
      expect(f!.message).toMatch(/upgrade to 1\.34/);
      expect(f!.guidance.source).toMatch(/supported-kubernetes-versions/);
    });

    it('given N-3, warns of platform support; below that, critical', () => {
      const n3 = cluster({
        kubernetesVersion: '1.32.4',
        nodePools: [pool({ orchestratorVersion: '1.32.4' })],
      });
      const n4 = cluster({
        kubernetesVersion: '1.31.4',
        nodePools: [pool({ orchestratorVersion: '1.31.4' })],
      });
      expect(codes(assessCompliance(n3, ctx()))).toEqual(['version-support:warning']);
      expect(codes(assessCompliance(n4, ctx()))).toEqual(['version-support:critical']);
    });

    it('given an LTS cluster on a minor the region offers as LTS, finds nothing about support', () => {
      const lts = cluster({
        kubernetesVersion: '1.31.4',
        supportPlan: 'AKSLongTermSupport',
        nodePools: [pool({ orchestratorVersion: '1.31.4' })],
      });
      expect(assessCompliance(lts, ctx())).toEqual([]);
    });

    it('given no region versions, says nothing about support', () => {
      const old = cluster({
        kubernetesVersion: '1.29.1',
        nodePools: [pool({ orchestratorVersion: '1.29.1' })],
      });
      expect(codes(assessCompliance(old, ctx({ region: undefined })))).toEqual([]);
    });
  });

  describe('control-plane / pool skew', () => {
    it('warns for a pool one minor behind, and at three minors says the next upgrade is blocked', () => {
      const c = cluster({
        kubernetesVersion: '1.35.1',
        nodePools: [
          pool({ name: 'a', orchestratorVersion: '1.34.4' }),
          pool({ name: 'b', orchestratorVersion: '1.32.4' }),
        ],
      });
      const skew = assessCompliance(c, ctx()).filter((f) => f.code === 'version-skew');
      expect(skew.map((f) => [f.subject, f.severity])).toEqual([
        ['a', 'warning'],
        ['b', 'warning'],
      ]);
      expect(skew[1]!.message).toMatch(/blocked/);
    });

    it('calls a pool ahead of the control plane critical', () => {
      const c = cluster({
        kubernetesVersion: '1.34.1',
        nodePools: [pool({ orchestratorVersion: '1.34.4' })],
      });
      expect(codes(assessCompliance(c, ctx()))).toEqual(['version-skew:critical']);
    });
  });

  describe('node image age', () => {
    it('reads both image date forms', () => {
      expect(nodeImageDate('AKSUbuntu-2204gen2containerd-202611.04.0')?.toISOString()).toBe(
        '2026-11-04T00:00:00.000Z',
      );
      expect(nodeImageDate('AKSUbuntu-1804gen2containerd-2023.02.15')?.toISOString()).toBe(
        '2023-02-15T00:00:00.000Z',
      );
      expect(nodeImageDate('AKSUbuntu:1604:2020.03.11')).toBeUndefined();
    });

    it('given an image behind the latest, grades it by age', () => {
      const at = (v: string): string[] =>
        codes(
          assessCompliance(
            cluster({ nodePools: [pool({ nodeImageVersion: `AKSUbuntu-2204gen2containerd-${v}` })] }),
            ctx(),
          ),
        );
      expect(at('202611.04.0')).toEqual(['node-image-age:info']);
      expect(at('202609.30.0')).toEqual(['node-image-age:warning']);
      expect(at('202605.01.0')).toEqual(['node-image-age:critical']);
    });

    it('looks the latest up by OS type, OS SKU and family, not by pool', () => {
      const azl = pool({ osSku: 'AzureLinux', nodeImageVersion: 'AKSAzureLinux-V3gen2-202611.18.0' });
      expect(imageFamilyKey(azl)).toBe('linux|azurelinux|aksazurelinux-v3gen2');
      expect(assessCompliance(cluster({ nodePools: [azl] }), ctx())).toEqual([]);
    });
  });

  describe('channels and rings', () => {
    it('given a gated production cluster with AKS auto-upgrade on, is critical', () => {
      const c = cluster({ ring: 'production', autoUpgradeChannel: 'stable' });
      const channelOnly = (f: Finding[]): Finding[] => f.filter((x) => x.code !== 'upgrade-path');
      expect(codes(channelOnly(assessCompliance(c, ctx())))).toEqual(['gated-auto-upgrade:critical']);
      expect(
        channelOnly(assessCompliance(cluster({ ring: 'production', autoUpgradeChannel: 'none' }), ctx())),
      ).toEqual([]);
    });

    it('given staging on another channel than production, warns; a canary off rapid is info', () => {
      expect(codes(assessCompliance(cluster({ autoUpgradeChannel: 'patch' }), ctx()))).toEqual([
        'channel-ring:warning',
      ]);
      expect(
        codes(assessCompliance(cluster({ ring: 'canary', autoUpgradeChannel: 'stable' }), ctx())),
      ).toEqual(['channel-ring:info']);
      expect(assessCompliance(cluster({ ring: 'canary', autoUpgradeChannel: 'rapid' }), ctx())).toEqual([]);
    });

    it('given an ungated production cluster on rapid, warns', () => {
      const c = cluster({ ring: 'production', autoUpgradeChannel: 'rapid' });
      expect(codes(assessCompliance(c, ctx({ gatedRings: [] })))).toEqual(['channel-ring:warning']);
    });
  });

  it('given the node OS channel unset, warns that reboots need Kured', () => {
    const [f] = assessCompliance(cluster({ nodeOsUpgradeChannel: undefined }), ctx());
    expect(codes([f!])).toEqual(['node-os-channel:warning']);
    expect(f!.guidance.source).toMatch(/kured/);
  });

  describe('maintenance windows', () => {
    it('given no configuration, warns; given one under four hours, warns with its name', () => {
      expect(codes(maintenanceFindings([]))).toEqual(['maintenance-window-missing:warning']);
      const short = maintenanceFindings([{ name: 'aksManagedNodeOSUpgradeSchedule', properties: weekly(2) }]);
      expect(short.map((f) => [f.code, f.subject])).toEqual([
        ['maintenance-window-short', 'aksManagedNodeOSUpgradeSchedule'],
      ]);
    });

    it('reads the legacy default form as runs of hour slots', () => {
      const legacy = [
        { name: 'default', properties: { timeInWeek: [{ day: 'Monday', hourSlots: [1, 2] }] } },
      ];
      expect(codes(maintenanceFindings(legacy))).toEqual(['maintenance-window-short:warning']);
    });

    it('given windows never read, says nothing about them', () => {
      expect(
        assessCompliance(cluster({ maintenanceConfigurations: [] }), ctx({ windowsKnown: false })),
      ).toEqual([]);
    });

    it('given every cluster of the subscription on one window, warns of ARM throttling', () => {
      const [f] = assessCompliance(cluster(), ctx({ sharedWindow: { clusters: 12 } }));
      expect(codes([f!])).toEqual(['shared-window:warning']);
      expect(f!.message).toMatch(/all 12 clusters/);
    });

    it('signs equal windows equally, whatever the key order', () => {
      const a = [
        { name: 'default', properties: { maintenanceWindow: { durationHours: 4, startTime: '01:00' } } },
      ];
      const b = [
        { name: 'Default', properties: { maintenanceWindow: { startTime: '01:00', durationHours: 4 } } },
      ];
      expect(windowSignature(a)).toBe(windowSignature(b));
      expect(windowSignature([])).toBeUndefined();
    });
  });

  it('given production pools surging below 33 %, says so per pool (the service default counts as 10 %)', () => {
    const c = cluster({
      ring: 'production',
      autoUpgradeChannel: 'none',
      nodePools: [
        pool({ name: 'default', maxSurge: undefined, count: 10 }),
        pool({ name: 'one', maxSurge: '1', count: 10 }),
        pool({ name: 'ok', maxSurge: '4', count: 10 }),
      ],
    });
    expect(
      assessCompliance(c, ctx())
        .filter((f) => f.code === 'max-surge-low')
        .map((f) => [f.code, f.subject]),
    ).toEqual([
      ['max-surge-low', 'default'],
      ['max-surge-low', 'one'],
    ]);
  });

  it('orders findings most severe first', () => {
    const c = cluster({
      kubernetesVersion: '1.31.1',
      nodeOsUpgradeChannel: undefined,
      nodePools: [pool({ orchestratorVersion: '1.31.1' })],
    });
    expect(codes(assessCompliance(c, ctx()))).toEqual([
      'version-support:critical',
      'node-os-channel:warning',
    ]);
  });
});

describe('one owner per cluster: every path besides Warden that can upgrade a gated cluster', () => {
  const paths = (c: ClusterSnapshot, over: Partial<ComplianceContext> = {}): string[] =>
    assessCompliance(c, ctx(over))
      .filter((f) => f.code === 'upgrade-path' || f.code === 'gated-auto-upgrade')
      .map(
        (f) =>
          `${f.code === 'gated-auto-upgrade' ? 'auto-upgrade-channel' : (f.subject ?? '')}:${f.severity}`,
      );

  it('lists each open path with how to close it; a person with write access is always one', () => {
    const c = cluster({
      ring: 'production',
      autoUpgradeChannel: 'stable',
      nodeOsUpgradeChannel: 'NodeImage',
    });
    expect(paths(c)).toEqual(['auto-upgrade-channel:critical', 'node-os-channel:warning', 'portal:info']);
    for (const f of assessCompliance(c, ctx()).filter((x) => x.code === 'upgrade-path'))
      expect(f.message).toMatch(/To close: \S/);
    expect(
      paths(cluster({ ring: 'production', autoUpgradeChannel: 'none', nodeOsUpgradeChannel: 'None' })),
    ).toEqual(['portal:info']);
  });

  it('AKS Automatic, node auto-provisioning, a Fleet auto-upgrade profile, and AKS-initiated upgrades near N-4', () => {
    const automatic = cluster({ ring: 'production', skuName: 'Automatic', autoUpgradeChannel: 'stable' });
    expect(paths(automatic)).toContain('aks-automatic:critical');
    const nap = cluster({ ring: 'production', autoUpgradeChannel: 'none', nodeProvisioningMode: 'Auto' });
    expect(paths(nap)).toContain('node-auto-provisioning:warning');
    const member = cluster({ ring: 'production', autoUpgradeChannel: 'none' });
    const cover = {
      fleet: 'fleet-weu',
      fleetResourceGroup: 'rg-fleet',
      profile: 'stable',
      channel: 'Stable',
    };
    expect(paths(member, { fleetAutoUpgrade: [cover] })).toContain('fleet-auto-upgrade:critical');
    expect(paths(member, { fleetAutoUpgrade: [] })).not.toContain('fleet-auto-upgrade:critical');
    expect(paths(member)).not.toContain('fleet-auto-upgrade:critical');
    const [fleetFinding] = assessCompliance(member, ctx({ fleetAutoUpgrade: [cover] })).filter(
      (f) => f.subject === 'fleet-auto-upgrade',
    );
    expect(fleetFinding?.message).toContain('profile stable (fleet fleet-weu, channel Stable)');
    expect(fleetFinding?.message).toContain(
      'To close: give the profile an update strategy with an Approval gate',
    );
    expect(fleetFinding?.message).toContain(
      'az fleet autoupgradeprofile create -g rg-fleet -f fleet-weu -n stable --channel Stable --disabled',
    );
    const old = cluster({ ring: 'production', autoUpgradeChannel: 'none', kubernetesVersion: '1.31.2' });
    expect(
      paths(old, {
        region: {
          location: 'westeurope',
          minors: [1.34, 1.33, 1.32, 1.31].map((m) => ({
            minor: String(m),
            isPreview: false,
            patches: [`${m}.1`],
            supportPlans: ['KubernetesOfficial'],
          })),
        },
      }),
    ).toContain('aks-initiated:warning');
  });

  it('an ungated ring has no path findings', () => {
    expect(
      paths(cluster({ ring: 'staging', autoUpgradeChannel: 'none', nodeProvisioningMode: 'Auto' })),
    ).toEqual([]);
  });

  it('the likely path of an outside upgrade: the most specific open path that changes what changed', () => {
    const c = cluster({
      ring: 'production',
      autoUpgradeChannel: 'stable',
      nodeOsUpgradeChannel: 'NodeImage',
    });
    const version = [{ what: 'control-plane' as const, from: '1.34.4', to: '1.35.1' }];
    const image = [{ what: 'node-image' as const, pool: 'system', from: 'a-1', to: 'a-2' }];
    expect(likelyPath(c, version)).toBe('AKS auto-upgrade channel stable');
    expect(likelyPath({ ...c, autoUpgradeChannel: 'none' }, image)).toMatch(
      /node OS upgrade channel NodeImage/,
    );
    expect(likelyPath({ ...c, autoUpgradeChannel: 'none', nodeOsUpgradeChannel: 'None' }, version)).toMatch(
      /anyone with managedClusters\/write/,
    );
  });
});
