import type { FleetFile, RunningSimulator } from '../../local/sim';
import { startSimulator } from '../../local/sim';
import { CURRENT_NODE_IMAGES, CURRENT_VERSIONS } from '../../local/sim/fleetFile/generate';
import type { OperationStatus, StartedOperation } from '../../shared/azure/aksGateway';
import { ArmAksGateway, ArmClients } from '../../shared/azure/armAksGateway';
import { armErrorOf } from '../../shared/azure/armErrors';
import { StaticTokenCredential } from '../../shared/azure/credentials';
import type { ClusterRef } from '../../shared/domain/armId';
import { parseClusterId } from '../../shared/domain/armId';
import { ConflictError, NotFoundError, ValidationError } from '../../shared/errors';

/**
 * The AKS gateway through the real SDKs against the simulator, with the live quirks on: the upgrade
 * profile's `agentPoolProfiles: null`, the node-image final 204, the deprecated-API block with its
 * subcode, ETags, throttling and faults.
 */
const SUB = '00000000-0000-4000-8000-00000000a001';
const OLD_IMAGE = 'AKSUbuntu-2204gen2containerd-202610.20.0';

const fleet: FleetFile = {
  versions: CURRENT_VERSIONS,
  nodeImages: CURRENT_NODE_IMAGES,
  regions: [{ name: 'westeurope' }],
  subscriptions: [{ id: SUB }],
  clusters: [
    {
      subscriptionId: SUB,
      resourceGroup: 'rg-gw',
      name: 'aks-blocked',
      location: 'westeurope',
      kubernetesVersion: '1.35.8',
      autoUpgradeProfile: { upgradeChannel: 'none', nodeOSUpgradeChannel: 'NodeImage' },
      pools: [{ name: 'system', mode: 'System', nodeImageVersion: OLD_IMAGE, count: 3 }],
      deprecatedApiUsage: [
        { api: 'flowcontrol.apiserver.k8s.io.v1beta3.prioritylevelconfigurations.list', removedIn: '1.36' },
      ],
    },
    {
      subscriptionId: SUB,
      resourceGroup: 'rg-gw',
      name: 'aks-images',
      location: 'westeurope',
      kubernetesVersion: '1.35.8',
      autoUpgradeProfile: { upgradeChannel: 'none', nodeOSUpgradeChannel: 'NodeImage' },
      pools: [
        { name: 'system', mode: 'System', nodeImageVersion: OLD_IMAGE, count: 3 },
        { name: 'apps', nodeImageVersion: OLD_IMAGE, count: 3, orchestratorVersion: '1.34.9' },
      ],
    },
  ],
};

let sim: RunningSimulator;
let gateway: ArmAksGateway;
const ref = (name: string): ClusterRef =>
  parseClusterId(
    `/subscriptions/${SUB}/resourceGroups/rg-gw/providers/Microsoft.ContainerService/managedClusters/${name}`,
  )!;

beforeAll(async () => {
  sim = await startSimulator({ fleet, durations: { controlPlaneMs: 150, poolMs: 150, nodeImageMs: 150 } });
  gateway = new ArmAksGateway(
    new ArmClients({
      endpoint: sim.armUrl,
      credential: new StaticTokenCredential(),
      ...(sim.caCertPem !== undefined && { caCertPem: sim.caCertPem }),
    }),
  );
});

afterAll(async () => {
  await sim.close();
});

async function untilDone(url: string): Promise<OperationStatus> {
  for (let i = 0; i < 200; i++) {
    const s = await gateway.operationStatus(SUB, url);
    if (s.status !== 'running') return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`operation at ${url} still running`);
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

describe('AKS gateway against the simulator', () => {
  it('reads the upgrade profile although ARM sends agentPoolProfiles: null (the SDK alone throws)', async () => {
    const profile = await gateway.getUpgradeProfile(ref('aks-images'));
    expect(profile.controlPlaneVersion).toBe('1.35.8');
    expect(profile.upgrades.map((u) => u.kubernetesVersion)).toContain('1.36.3');
    expect(profile.pools).toBeUndefined();
  });

  it('reads a cluster with its ETag and desired versions, pools, and the latest image of a family', async () => {
    const c = await gateway.getCluster(ref('aks-images'));
    expect(c.eTag).toEqual(expect.any(String));
    expect(c.desiredKubernetesVersion).toBe('1.35.8');
    expect(c.desiredPoolVersions).toEqual({ system: '1.35.8', apps: '1.34.9' });
    const pools = await gateway.listPools(ref('aks-images'));
    expect(pools.map((p) => [p.name, p.orchestratorVersion, p.nodeImageVersion])).toEqual([
      ['system', '1.35.8', OLD_IMAGE],
      ['apps', '1.34.9', OLD_IMAGE],
    ]);
    expect(await gateway.latestNodeImage(ref('aks-images'), 'system')).toBe(
      `AKSUbuntu-2204gen2containerd-${CURRENT_NODE_IMAGES['AKSUbuntu-2204gen2containerd']}`,
    );
  });

  it('starts a node image upgrade without waiting, and reads the final 204 Location as done', async () => {
    const started: StartedOperation = await gateway.startNodeImageUpgrade(ref('aks-images'), 'apps');
    expect(started.httpStatus).toBe(202);
    expect(started.pollUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    expect((await gateway.getPool(ref('aks-images'), 'apps')).provisioningState).toBe(
      'UpgradingNodeImageVersion',
    );
    expect((await untilDone(started.pollUrl!)).status).toBe('succeeded');
    expect(started.locationUrl).toBeDefined();
    expect(await gateway.operationStatus(SUB, started.locationUrl!)).toMatchObject({ status: 'succeeded' });
    const pool = await gateway.getPool(ref('aks-images'), 'apps');
    expect(pool.nodeImageVersion).not.toBe(OLD_IMAGE);
  });

  it('answers one operation at a time per cluster with a ConflictError keeping the ARM code', async () => {
    const first = await gateway.startNodeImageUpgrade(ref('aks-images'), 'system');
    const e = await caught(gateway.startPoolUpgrade(ref('aks-images'), 'apps', '1.35.8'));
    expect(e).toBeInstanceOf(ConflictError);
    expect(armErrorOf(e)).toMatchObject({ statusCode: 409, code: 'OperationNotAllowed' });
    await untilDone(first.pollUrl!);
  });

  it('upgrades a pool (PUT, if-match its ETag read just before); a stale ETag is a ConflictError', async () => {
    const stale = await caught(
      gateway.startPoolUpgrade(ref('aks-images'), 'apps', '1.35.8', { ifMatch: '"stale"' }),
    );
    expect(stale).toBeInstanceOf(ConflictError);
    expect(armErrorOf(stale)).toMatchObject({ statusCode: 412, code: 'PreconditionFailed' });
    const started = await gateway.startPoolUpgrade(ref('aks-images'), 'apps', '1.35.8');
    expect((await gateway.getPool(ref('aks-images'), 'apps')).desiredOrchestratorVersion).toBe('1.35.8');
    expect((await untilDone(started.pollUrl!)).status).toBe('succeeded');
    expect((await gateway.getPool(ref('aks-images'), 'apps')).orchestratorVersion).toBe('1.35.8');
  });

  it('refuses a cluster PUT with a stale ETag as a ConflictError (412 kept)', async () => {
    const stale = await caught(
      gateway.startControlPlaneUpgrade(ref('aks-images'), '1.36.3', { ifMatch: '"stale"' }),
    );
    expect(stale).toBeInstanceOf(ConflictError);
    expect(armErrorOf(stale)).toMatchObject({ statusCode: 412, code: 'PreconditionFailed' });
  });

  it('keeps the deprecated-API subcode, then upgrades the control plane only with forceUpgrade', async () => {
    const e = await caught(gateway.startControlPlaneUpgrade(ref('aks-blocked'), '1.36.3'));
    expect(e).toBeInstanceOf(ValidationError);
    expect(armErrorOf(e)).toMatchObject({
      statusCode: 400,
      code: 'ValidationError',
      subcode: 'UpgradeBlockedOnDeprecatedAPIUsage',
    });
    expect((e as ValidationError).detail).toMatch(/flowcontrol\.apiserver/);

    const started = await gateway.startControlPlaneUpgrade(ref('aks-blocked'), '1.36.3', {
      forceUpgradeUntil: new Date(Date.now() + 3 * 86_400_000),
    });
    expect((await untilDone(started.pollUrl!)).status).toBe('succeeded');
    const after = await gateway.getCluster(ref('aks-blocked'));
    expect(after.kubernetesVersion).toBe('1.36.3');
    expect(after.nodePools.map((p) => p.orchestratorVersion)).toEqual(['1.35.8']);
  });

  it('writes a maintenance configuration and reads it back in the wire shape', async () => {
    const properties = {
      maintenanceWindow: {
        schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Saturday' } },
        durationHours: 6,
        utcOffset: '+01:00',
        startDate: '2026-12-01',
        startTime: '02:00',
      },
    };
    const put = await gateway.putMaintenanceConfiguration(
      ref('aks-images'),
      'aksManagedAutoUpgradeSchedule',
      properties,
    );
    expect(put.name).toBe('aksManagedAutoUpgradeSchedule');
    const listed = await gateway.listMaintenanceConfigurations(ref('aks-images'));
    expect(listed).toEqual([
      { name: 'aksManagedAutoUpgradeSchedule', properties: expect.objectContaining(properties) },
    ]);
  });

  it('maps a missing cluster to NotFoundError, and retries a 503 with Retry-After', async () => {
    expect(await caught(gateway.getCluster(ref('aks-nope')))).toBeInstanceOf(NotFoundError);
    sim.addFault({
      path: 'managedClusters/aks-images$',
      method: 'GET',
      status: 503,
      retryAfter: 1,
      count: 1,
    });
    expect((await gateway.getCluster(ref('aks-images'))).name).toBe('aks-images');
    sim.clearFaults();
  });
});
