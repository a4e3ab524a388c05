import type { Mount } from '../host';
import type { AutoUpgradeOptions, AutoUpgradeRecord } from './arm/autoUpgrade';
import { AutoUpgrader } from './arm/autoUpgrade';
import { clusterRoutes } from './arm/clusters';
import { credentialRoutes } from './arm/credentials';
import { maintenanceRoutes } from './arm/maintenance';
import { OperationEngine, operationRoutes } from './arm/operations';
import { poolRoutes } from './arm/pools';
import type { ThrottleLimits } from './arm/throttle';
import { ARM_LIMITS } from './arm/throttle';
import { LOOPBACK_CERT_PEM, LOOPBACK_KEY_PEM } from './certs/loopbackCert';
import { computeRoutes } from './compute/model';
import type { CallRecord, Durations, Quirks, SimContext } from './context';
import {
  addCluster,
  controlMount,
  emitEvent,
  release,
  releaseNodeImage,
  removeCluster,
  upgradeOutside,
} from './control';
import type { Delivery } from './eventGrid/deliveries';
import { DEFAULT_RETRY_DELAYS_MS, EventEmitter } from './eventGrid/deliveries';
import type { FaultSpec } from './faults';
import { Faults } from './faults';
import type { ClusterSpec, FleetFile, SimFleet } from './fleetFile/fleet';
import { buildFleet, loadFleetFile } from './fleetFile/fleet';
import { generateFleet, parseGenerateSpec } from './fleetFile/generate';
import { listFleetRuns, startFleetRun } from './fleetManager/control';
import { fleetManagerRoutes } from './fleetManager/routes';
import { FleetRunEngine } from './fleetManager/runs';
import type { KubeServer } from './kube/server';
import { startKubeServer } from './kube/server';
import { networkRoutes } from './network/model';
import { armPart } from './persistence/armState';
import type { SimSnapshot } from './persistence/snapshot';
import { resourceGraphRoutes } from './resourceGraph/routes';
import type { SimStats } from './server';
import { startServer } from './server';

export type { AutoUpgradeOptions, AutoUpgradeRecord } from './arm/autoUpgrade';
export type { MinorSpec } from './arm/versions';
export type { CallRecord, Durations, Quirks } from './context';
export type { Delivery } from './eventGrid/deliveries';
export type { FaultSpec } from './faults';
export type { ClusterSpec, FleetFile, PoolSpec, SimFleet } from './fleetFile/fleet';
export type { GenerateOptions } from './fleetFile/generate';
export { BENCH_FLEET, CURRENT_NODE_IMAGES, CURRENT_VERSIONS, generateFleet } from './fleetFile/generate';
export type { SimStats } from './server';

/**
 * Options of {@link startSimulator}. Everything but `fleet` has a default fit for `npm start`;
 * tests shorten the durations and usually turn throttling off or down.
 */
export interface SimulatorOptions {
  /** A fleet file path, `generate:N,S,R,P`, a parsed fleet file, or an already built fleet. */
  readonly fleet: string | FleetFile | SimFleet;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Serve https with the loopback test certificate (default) or plain http. */
  readonly https?: boolean;
  /** Added to every call (ms). Default 0. */
  readonly latencyMs?: number;
  /** Operation durations (default: control plane 20 s, pool 15 s, node image 15 s). */
  readonly durations?: Partial<Durations>;
  readonly quirks?: Partial<Quirks>;
  /** ARM token buckets: `true`/undefined = ARM's numbers, `false` = off, or other numbers. */
  readonly throttle?: boolean | Partial<ThrottleLimits>;
  /** The ARM region the simulator plays (the throttling bucket's region). Default `westeurope`. */
  readonly armRegion?: string;
  /** Resource Graph per-user quota: queries per window. Default 15 per 5 s. */
  readonly graphQuota?: { readonly perWindow: number; readonly windowMs: number };
  /** How stale Resource Graph may be (ms; default 0, always current). */
  readonly graphLagMs?: number;
  /** Where Event Grid deliveries go (`{appUrl}/api/aks-events`); a function is read at each emit. */
  readonly webhookUrl?: string | (() => string | undefined);
  /** Event Grid schema (default) or CloudEvents 1.0. */
  readonly eventSchema?: 'eventgrid' | 'cloudevents';
  readonly eventRetryDelaysMs?: readonly number[];
  /** Attempts per event in all (default 10). */
  readonly eventMaxAttempts?: number;
  /** Simulate AKS cluster auto-upgrade after releases (advance notice, then the upgrade). Default off. */
  readonly autoUpgrade?: AutoUpgradeOptions;
  /** Validate the webhook (SubscriptionValidationEvent / CloudEvents OPTIONS) before delivering. Default off. */
  readonly eventHandshake?: boolean;
  /** Items per ARM list page before `nextLink` (default 100). */
  readonly pageSize?: number;
  readonly tenantId?: string;
  /** Calls kept for `GET /_sim/calls` (default 100,000). */
  readonly maxCallLog?: number;
  /**
   * The simulator's clock, for what it dates and compares (operation times, force-upgrade `until`,
   * support dates of a fleet file). Default the wall clock; a test passes the clock it gives Warden.
   * Operations still take real time (`durations`).
   */
  readonly now?: () => Date;
  /** How long Fleet Manager takes to upgrade one member in an update run (ms). Default 3 s. */
  readonly fleetMemberMs?: number;
  /**
   * Where the state outlives a restart (`npm start` keeps it in the data folder): the ARM fleet and
   * its operations are loaded from it instead of `fleet` when it holds them, and written to it after
   * each change. Other rooms register their own part (persistence/snapshot.ts).
   */
  readonly snapshot?: SimSnapshot;
}

export interface RunningSimulator {
  /** True when the state was resumed from `snapshot`, not built from the fleet file. */
  readonly resumed: boolean;
  /** The ARM (and Resource Graph) base URL: set `WARDEN_ARM_ENDPOINT` to it. */
  readonly armUrl: string;
  /** The certificate to trust (`tlsOptions.ca`) when serving https. */
  readonly caCertPem: string | undefined;
  /** The clusters' Kubernetes API (one https port, a path per cluster; kubeconfigs name it). */
  readonly kube: Pick<KubeServer, 'url' | 'stats'>;
  /** The `/_sim` control API, to mount on the app's host. */
  readonly mount: Mount;
  /** The live simulated state. */
  readonly fleet: SimFleet;
  /** Every call received (newest last). */
  calls(): readonly CallRecord[];
  clearCalls(): void;
  /** Counters since start (or the last clearCalls): calls, 429s, by status, by API (ARM / Resource Graph). */
  stats(): SimStats;
  /** Adds a fault (as `POST /_sim/faults`). */
  addFault(spec: FaultSpec): void;
  clearFaults(): void;
  /** As `POST /_sim/release`. */
  release(location: string, version: string, preview?: boolean): { added: boolean; notified: number };
  /** As `POST /_sim/events`. */
  emitEvent(
    cluster: string,
    eventType: string,
    data?: Record<string, unknown>,
  ): { id: string; eventType: string };
  deliveries(): readonly Delivery[];
  /** As `POST /_sim/clusters`: a cluster appears (fleet-file form). */
  addCluster(spec: ClusterSpec): void;
  /** As `DELETE /_sim/clusters/{ref}`: a cluster disappears (name or ARM id); false when unknown. */
  removeCluster(ref: string): boolean;
  /** As `POST /_sim/node-images`: a new node image for a family, in one region or all. */
  releaseNodeImage(family: string, version: string, location?: string): string[];
  /** As `POST /_sim/upgrade`: an upgrade done behind Warden's back, at once (throws on bad input, as the 400 says). */
  upgradeOutside(spec: {
    cluster: string;
    pool?: string;
    version?: string;
    nodeImage?: string;
    events?: boolean;
  }): void;
  /** As `POST /_sim/fleet-runs`: a Fleet Manager update run with an approval gate before its last stage. */
  startFleetRun(spec: { fleet?: string; version: string; gateBefore?: string }): Record<string, unknown>;
  /** As `GET /_sim/fleet-runs`. */
  fleetRuns(): Record<string, unknown>[];
  setWebhookUrl(url: string | undefined): void;
  /** Runs the endpoint handshake with the current webhook now: undefined when it passed, else the problem. */
  validateWebhook(): Promise<string | undefined>;
  setLatency(ms: number): void;
  /** Forgets throttling state (full buckets). */
  resetThrottle(): void;
  /** What simulated auto-upgrade scheduled, started, deferred or skipped. */
  autoUpgrades(): readonly AutoUpgradeRecord[];
  /** Resolves when no operation runs and no delivery is pending. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_DURATIONS: Durations = { controlPlaneMs: 20_000, poolMs: 15_000, nodeImageMs: 15_000 };

function resolveFleet(fleet: SimulatorOptions['fleet'], now: Date): SimFleet {
  if (typeof fleet === 'string') {
    const spec = parseGenerateSpec(fleet);
    return spec ? buildFleet(generateFleet(spec), now) : loadFleetFile(fleet, now);
  }
  if ('clusters' in fleet && fleet.clusters instanceof Map) return fleet as SimFleet;
  return buildFleet(fleet as FleetFile, now);
}

function throttleLimits(t: SimulatorOptions['throttle']): ThrottleLimits | false {
  if (t === false) return false;
  if (t === undefined || t === true) return ARM_LIMITS;
  return { ...ARM_LIMITS, ...t };
}

/**
 * Starts the loopback Azure simulator: ARM for Microsoft.ContainerService, Resource Graph, long-running
 * operations, throttling, faults, and Event Grid deliveries to the app's webhook.
 */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const now = options.now ?? ((): Date => new Date());
  const fleet = resolveFleet(options.fleet, now());
  let webhook = options.webhookUrl;
  const events = new EventEmitter(
    {
      webhookUrl: () => (typeof webhook === 'function' ? webhook() : webhook),
      schema: options.eventSchema ?? 'eventgrid',
      retryDelaysMs: options.eventRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
      maxAttempts: options.eventMaxAttempts ?? 10,
      handshake: options.eventHandshake ?? false,
    },
    now,
  );
  const lro = new OperationEngine(now);
  let fleetRuns: FleetRunEngine | undefined;
  const ctx: SimContext = {
    fleet,
    durations: { ...DEFAULT_DURATIONS, ...options.durations },
    quirks: { nullAgentPoolProfiles: true, nodeImage204: true, nodeImage304: true, ...options.quirks },
    faults: new Faults(),
    lro,
    events,
    get fleetRuns(): FleetRunEngine {
      fleetRuns ??= new FleetRunEngine(ctx, options.fleetMemberMs ?? 3_000);
      return fleetRuns;
    },
    throttle: throttleLimits(options.throttle),
    tenantId: options.tenantId ?? '72f988bf-0000-4000-8000-00000000aaaa',
    pageSize: options.pageSize ?? 100,
    now,
    hooks: {},
  };
  const snapshot = options.snapshot;
  const resumed = snapshot?.register(armPart(ctx)) ?? false;
  if (snapshot) {
    ctx.hooks.changed = () => snapshot.changed();
    lro.onChange = () => snapshot.changed();
  }
  const autoUpgrader = options.autoUpgrade ? new AutoUpgrader(ctx, options.autoUpgrade) : undefined;
  if (autoUpgrader) {
    ctx.hooks.afterRelease = (region) => void autoUpgrader.afterRelease(region);
    ctx.hooks.autoUpgrades = () => autoUpgrader.records;
  }
  const routes = [
    ...resourceGraphRoutes(ctx, {
      quotaPerWindow: options.graphQuota?.perWindow ?? 15,
      quotaWindowMs: options.graphQuota?.windowMs ?? 5_000,
      lagMs: options.graphLagMs ?? 0,
    }),
    ...operationRoutes(ctx),
    ...clusterRoutes(ctx),
    ...poolRoutes(ctx),
    ...maintenanceRoutes(ctx),
    ...credentialRoutes(ctx),
    ...networkRoutes(ctx),
    ...computeRoutes(ctx),
    ...fleetManagerRoutes(ctx),
  ];
  const useHttps = options.https ?? true;
  const server = await startServer(ctx, routes, {
    port: options.port ?? 0,
    tls: useHttps ? { cert: LOOPBACK_CERT_PEM, key: LOOPBACK_KEY_PEM } : undefined,
    latencyMs: options.latencyMs ?? 0,
    armRegion: options.armRegion ?? 'westeurope',
    maxCallLog: options.maxCallLog ?? 100_000,
  });
  const kube = await startKubeServer(ctx, { latencyMs: options.latencyMs ?? 0 });
  ctx.hooks.kubeUrl = () => kube.url;
  ctx.hooks.kubeCaPem = () => kube.caPem();
  ctx.hooks.rotateKubeCerts = () => kube.rotateCertificates();
  return {
    resumed,
    armUrl: server.url,
    caCertPem: useHttps ? LOOPBACK_CERT_PEM : undefined,
    kube,
    mount: controlMount(ctx, server),
    fleet,
    calls: () => server.calls,
    clearCalls() {
      server.calls.length = 0;
      server.stats.calls = 0;
      server.stats.throttled = 0;
      for (const k of Object.keys(server.stats.byStatus)) delete server.stats.byStatus[k];
      server.stats.byApi = { arm: 0, resourcegraph: 0, other: 0 };
    },
    stats: () => ({
      ...server.stats,
      byStatus: { ...server.stats.byStatus },
      byApi: { ...server.stats.byApi },
    }),
    addFault: (spec) => void ctx.faults.add(spec),
    clearFaults: () => ctx.faults.clear(),
    release: (location, version, preview = false) => release(ctx, location, version, preview),
    emitEvent: (cluster, eventType, data) => emitEvent(ctx, cluster, eventType, data),
    deliveries: () => events.deliveries(),
    addCluster: (spec) => void addCluster(ctx, spec),
    removeCluster: (ref) => removeCluster(ctx, ref),
    releaseNodeImage: (family, version, location) => releaseNodeImage(ctx, family, version, location),
    upgradeOutside: (spec) => void upgradeOutside(ctx, { ...spec }),
    startFleetRun(spec) {
      const run = startFleetRun(ctx, spec);
      if (typeof run.error === 'string') throw new Error(run.error);
      return run;
    },
    fleetRuns: () => listFleetRuns(ctx),
    setWebhookUrl(url) {
      webhook = url;
    },
    validateWebhook() {
      const url = typeof webhook === 'function' ? webhook() : webhook;
      return url === undefined ? Promise.resolve('no webhook URL') : events.validate(url);
    },
    setLatency: (ms) => {
      server.setLatency(ms);
      kube.setLatency(ms);
    },
    resetThrottle: () => server.buckets?.reset(),
    async idle() {
      await lro.idle();
      await events.idle();
    },
    autoUpgrades: () => autoUpgrader?.records ?? [],
    async close() {
      autoUpgrader?.close();
      fleetRuns?.close();
      lro.close();
      events.close();
      await Promise.all([server.close(), kube.close()]);
    },
  };
}
