import { randomBytes } from 'node:crypto';

import { DefaultAzureCredential } from '@azure/identity';

import { ApprovalLinks } from './approvals/links';
import type { ApprovalKeys } from './approvals/tokens';
import { WaveLinks } from './approvals/waveLinks';
import type { AksGateway, ArmCluster } from './azure/aksGateway';
import { ArmAksGateway, ArmClients } from './azure/armAksGateway';
import { armCredential } from './azure/credentials';
import type { FleetManagerGateway } from './azure/fleetManagerGateway';
import { ArmFleetManagerGateway } from './azure/fleetManagerGateway';
import { KubeStats } from './azure/kubeApi';
import { ArmPreflight } from './azure/preflightArm';
import type { Config } from './config';
import { loadConfig, requireApprovalKeys } from './config';
import type { Policy } from './domain/policy';
import { consoleLogger } from './logging';
import type { DigestSources } from './notify/digest';
import type { Notifier } from './notify/notifier';
import { buildNotifier } from './notify/notifier';
import type { NotificationRoutes } from './notify/routing';
import type { ClusterStore } from './store/clusterStore';
import { TableClusterStore } from './store/clusterStore';
import type { EventStore } from './store/eventStore';
import { TableEventStore } from './store/eventStore';
import { TableFleetGateStore } from './store/fleetGateStore';
import type { FleetSummaryStore } from './store/fleetSummaryStore';
import { TableFleetSummaryStore } from './store/fleetSummaryStore';
import type { PlanStore } from './store/planStore';
import { TablePlanStore } from './store/planStore';
import type { RunnerStore } from './store/runnerStore';
import { TableRunnerStore } from './store/runnerStore';
import { StorageShardQueue } from './store/sweepQueue';
import { Tables } from './store/tables';
import { TableWaveStore } from './store/waveStore';
import { deferReaction } from './usecases/deferUpgrade';
import { storeDigestSources } from './usecases/digestSources';
import { endOfSupportReaction } from './usecases/endOfSupport';
import type { FleetGateDeps } from './usecases/fleetGates';
import { fleetGateReaction } from './usecases/fleetGates';
import { storeFleetReader } from './usecases/fleetReader';
import { summarizingWrites } from './usecases/fleetSummary';
import type { EventReaction } from './usecases/ingestEvents';
import { outsideUpgradeReaction, seeBeforeActing, storeAndSee } from './usecases/outsideUpgrades';
import { Preflight } from './usecases/preflight';
import type { FleetReader } from './usecases/proposePlans';
import { planningReaction } from './usecases/proposePlans';
import { runnerReaction } from './usecases/runUpgrades';
import type { ShardQueue, SweepPolicy } from './usecases/sweepFleet';
import { storeClusterRow, sweepOneCluster } from './usecases/sweepFleet';
import type { WaveDeps } from './usecases/waves';

/** Everything the functions need, built once from the settings. The one place real dependencies are wired. */
export interface Services {
  readonly config: Config;
  readonly tables: Tables;
  readonly events: EventStore;
  readonly reactions: readonly EventReaction[];
  readonly now: () => Date;
  /** The outbox (producers enqueue notices here) and the channels the dispatcher delivers on. */
  readonly notifier: Notifier;
  /** What the daily digest reads (the cluster and plan stores). */
  readonly digestSources: DigestSources;
  /** Cluster snapshots and findings (the fleet sweep writes them, `/api/clusters` reads them). */
  readonly clusters: ClusterStore;
  /** The fleet summary the sweep maintains and the dashboard reads. */
  readonly fleetSummary: FleetSummaryStore;
  /** ARM / Resource Graph through the production SDKs (Azure, or the local simulator). */
  readonly aks: AksGateway;
  /** The SDK clients behind `aks`, with their call counters. */
  readonly armClients: ArmClients;
  /** The Storage Queue the sweep fans out on. */
  readonly sweepQueue: ShardQueue;
  /** Ring tag, ring values and gated rings the sweep applies (the policy's, once it is wired). */
  readonly sweepPolicy: SweepPolicy;
  /** The policy document (`WARDEN_POLICY`). */
  readonly policy: Policy;
  /** Upgrade plans, their audit trail and the promotion index. */
  readonly plans: PlanStore;
  /** Approval link signing keys and the links built from them. */
  readonly approvalKeys: ApprovalKeys;
  readonly links: ApprovalLinks;
  /** What plan creation reads of the fleet (the sweep's cluster store, versions from ARM). */
  readonly fleetReader: FleetReader;
  /** New plan / approval-round ids. */
  readonly newId: () => string;
  /** The upgrade runner's cluster locks / leases and used Defer links. */
  readonly runs: RunnerStore;
  /** This instance's name as a lease owner (two runner instances never run the same step). */
  readonly runnerOwner: string;
  /** Pre-flight: whether a plan's upgrade can succeed (ARM + each cluster's Kubernetes API). */
  readonly preflight: Preflight;
  /** Kubernetes API calls pre-flight made. */
  readonly kubeStats: KubeStats;
  /** Fleet Manager's gates, runs, members and auto-upgrade profiles (REST over the ARM pipeline). */
  readonly fleetManager: FleetManagerGateway;
  /** What deciding Fleet Manager gates needs (the timer, the approval click, the gate events). */
  readonly fleetGates: () => Omit<FleetGateDeps, 'log'>;
  /** Waves: their store, links and what deciding them needs besides the plans (docs/design/waves.md). */
  readonly waves: () => Omit<WaveDeps, 'plans' | 'links' | 'log'>;
}

/** Per Kubernetes GET of pre-flight: an API server that does not answer by then is `unknown`. */
const KUBE_TIMEOUT_MS = 8_000;

export function buildServices(config: Config): Services {
  const tables = new Tables(
    config.storage.kind === 'connectionString'
      ? { kind: 'connectionString', connectionString: config.storage.connectionString }
      : {
          kind: 'identity',
          tableServiceUrl: config.storage.tableServiceUrl,
          credential: new DefaultAzureCredential(
            config.storage.clientId !== undefined ? { managedIdentityClientId: config.storage.clientId } : {},
          ),
        },
    config.tablePrefix,
  );
  // The policy's ring routes, secondary lists and owner tag (Policy satisfies NotificationRoutes).
  const notificationRoutes = (): NotificationRoutes => config.policy;
  const approvalKeys = requireApprovalKeys(config);
  if (config.policy.approvals.groups.length > 0 && !config.easyAuth)
    consoleLogger.warn(
      'policy approvals.groups is set but App Service Authentication is off (WEBSITE_AUTH_ENABLED): ' +
        'group membership cannot be trusted and is not checked; only approvals.allow and the routes decide',
    );
  const identity = (): DefaultAzureCredential =>
    new DefaultAzureCredential(
      config.storage.kind === 'identity' && config.storage.clientId !== undefined
        ? { managedIdentityClientId: config.storage.clientId }
        : {},
    );
  const credential = armCredential(config.fleet);
  const armClients = new ArmClients({
    endpoint: config.fleet.armEndpoint,
    credential,
    ...(config.fleet.armCaCertPem !== undefined && { caCertPem: config.fleet.armCaCertPem }),
  });
  const sweepQueue = new StorageShardQueue(
    config.storage.kind === 'connectionString'
      ? { kind: 'connectionString', connectionString: config.storage.connectionString }
      : { kind: 'identity', queueServiceUrl: config.storage.queueServiceUrl, credential: identity() },
  );
  const clusters = new TableClusterStore(tables);
  const fleetSummary = new TableFleetSummaryStore(tables);
  const aks = new ArmAksGateway(armClients);
  // Notices are dispatched right after they are enqueued; the every-minute timer is the backstop.
  const notifier = buildNotifier(config, tables, notificationRoutes, identity, fetch, {
    now: () => new Date(),
    log: consoleLogger,
  });
  const now = (): Date => new Date();
  const plans = new TablePlanStore(tables, notifier.outbox);
  const links = new ApprovalLinks(approvalKeys, config.publicBaseUrl);
  const waveStore = new TableWaveStore(tables);
  const waveLinks = new WaveLinks(approvalKeys, config.publicBaseUrl);
  // What the sweep's own write needs, for the one-cluster sweeps outside a sweep (below).
  const oneClusterSweep = {
    gateway: aks,
    store: clusters,
    summary: fleetSummary,
    policy: config.policy,
    scope: config.fleet.scope,
    ...(config.fleet.clusterSelector !== undefined && { selector: config.fleet.clusterSelector }),
    now,
    log: (line: string) => consoleLogger.info(line),
  };
  // Events for clusters no sweep has stored yet sweep that one cluster (scope and selector as the sweep's).
  const fleetReader = storeFleetReader(clusters, aks, now, {
    sweepOne: (ref, regionVersions) => sweepOneCluster(oneClusterSweep, ref, regionVersions),
    log: oneClusterSweep.log,
  });
  const kubeStats = new KubeStats();
  const preflight = new Preflight({
    arm: new ArmPreflight(armClients, config.fleet.armEndpoint, credential),
    regionVersions: (subscriptionId, location) => fleetReader.regionVersions(subscriptionId, location),
    policy: config.policy,
    now,
    kubeTimeoutMs: KUBE_TIMEOUT_MS,
    kubeStats,
  });
  const newId = (): string => `${Date.now().toString(36)}${randomBytes(9).toString('base64url')}`;
  const storeArmCluster = async (cluster: ArmCluster) => {
    const region = await fleetReader.regionVersions(cluster.subscriptionId, cluster.location);
    return storeClusterRow(oneClusterSweep, cluster, region, { readWindows: false });
  };
  // One cluster changed outside a sweep: its row in the dashboard's fleet summary follows.
  const summarized = summarizingWrites(clusters, {
    summary: fleetSummary,
    log: (line) => consoleLogger.info(line),
  });
  const outsideDeps = { plans, clusters: summarized, outbox: notifier.outbox, now, log: consoleLogger };
  const runs = new TableRunnerStore(tables);
  const runnerOwner = `runner-${randomBytes(6).toString('hex')}`;
  const runnerDeps = () => ({
    plans,
    links,
    aks,
    policy: config.policy,
    runs,
    outbox: notifier.outbox,
    keys: approvalKeys,
    baseUrl: config.publicBaseUrl,
    newId,
    now,
    owner: runnerOwner,
    preflight,
    // Once a plan succeeded, the cluster as ARM shows it replaces the swept snapshot (windows kept);
    // anything else that moved meanwhile is an upgrade Warden did not make.
    recordCluster: async (cluster: ArmCluster) => {
      await storeAndSee({ ...outsideDeps, store: storeArmCluster }, cluster, 'runner');
    },
    // Right before a step: the runner's own read against what Warden knew (one owner per cluster).
    seeCluster: (cluster: ArmCluster) =>
      seeBeforeActing({ ...planningDeps(), ...outsideDeps, store: storeArmCluster }, cluster),
  });
  const runner = runnerReaction(runnerDeps);
  const fleetManager = new ArmFleetManagerGateway(armClients);
  const gateStore = new TableFleetGateStore(tables);
  const fleetGates = (): Omit<FleetGateDeps, 'log'> => ({
    plans,
    links,
    policy: config.policy,
    newId,
    gates: gateStore,
    fleetManager,
    operations: aks,
    fleet: fleetReader,
    outbox: notifier.outbox,
    now,
    listFleets: () => fleetManager.listFleets(config.fleet.scope),
  });
  const defer = deferReaction(() => ({ ...runnerDeps(), fleet: fleetReader }));
  const planningDeps = () => ({
    plans,
    links,
    policy: config.policy,
    newId,
    fleet: fleetReader,
    outbox: notifier.outbox,
    now,
    log: console,
    preflight,
  });
  const planning = planningReaction(planningDeps);
  const endOfSupport = endOfSupportReaction(() => ({ ...planningDeps(), clusters: summarized }));
  const outside = outsideUpgradeReaction(() => ({
    ...planningDeps(),
    ...outsideDeps,
    aks,
    store: storeArmCluster,
  }));
  return {
    config,
    tables,
    clusters,
    fleetSummary,
    armClients,
    aks,
    sweepQueue,
    sweepPolicy: config.policy,
    policy: config.policy,
    plans,
    approvalKeys,
    links,
    fleetReader,
    newId,
    notifier,
    digestSources: storeDigestSources(clusters, plans),
    events: new TableEventStore(tables),
    reactions: [planning, endOfSupport, runner, defer, fleetGateReaction(fleetGates), outside],
    fleetManager,
    fleetGates,
    runs,
    runnerOwner,
    now,
    preflight,
    kubeStats,
    waves: () => ({
      waves: waveStore,
      waveLinks,
      outbox: notifier.outbox,
      policy: config.policy,
      keys: approvalKeys,
      newId,
    }),
  };
}

let cached: Services | undefined;

/** The app's services, built on first use from `process.env`. */
export function services(): Services {
  cached ??= buildServices(loadConfig(process.env));
  return cached;
}

/** Forgets the built services (the local host calls this after it has set the environment). */
export function resetServices(): void {
  cached = undefined;
}
