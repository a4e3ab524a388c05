import { DefaultAzureCredential } from '@azure/identity';

import type { AksGateway } from './azure/aksGateway';
import { ArmAksGateway, ArmClients } from './azure/armAksGateway';
import { armCredential } from './azure/credentials';
import type { Config } from './config';
import { loadConfig } from './config';
import type { Notifier } from './notify/notifier';
import { buildNotifier } from './notify/notifier';
import type { NotificationRoutes } from './notify/routing';
import { EMPTY_ROUTES } from './notify/routing';
import { DEFAULT_POLICY } from './domain/policy';
import type { ClusterStore } from './store/clusterStore';
import { TableClusterStore } from './store/clusterStore';
import type { EventStore } from './store/eventStore';
import { TableEventStore } from './store/eventStore';
import { StorageShardQueue } from './store/sweepQueue';
import { Tables } from './store/tables';
import type { EventReaction } from './usecases/ingestEvents';
import type { ShardQueue, SweepPolicy } from './usecases/sweepFleet';

/** Everything the functions need, built once from the settings. The one place real dependencies are wired. */
export interface Services {
  readonly config: Config;
  readonly tables: Tables;
  readonly events: EventStore;
  readonly reactions: readonly EventReaction[];
  readonly now: () => Date;
  /** The outbox (producers enqueue notices here) and the channels the dispatcher delivers on. */
  readonly notifier: Notifier;
  /** Cluster snapshots and findings (the fleet sweep writes them, `/api/clusters` reads them). */
  readonly clusters: ClusterStore;
  /** ARM / Resource Graph through the production SDKs (Azure, or the local simulator). */
  readonly aks: AksGateway;
  /** The SDK clients behind `aks`, with their call counters. */
  readonly armClients: ArmClients;
  /** The Storage Queue the sweep fans out on. */
  readonly sweepQueue: ShardQueue;
  /** Ring tag, ring values and gated rings the sweep applies (the policy's, once it is wired). */
  readonly sweepPolicy: SweepPolicy;
}

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
  // Until the policy is part of the services, notices route by owner tags and per-approver recipients only.
  const notificationRoutes = (): NotificationRoutes => EMPTY_ROUTES;
  const identity = (): DefaultAzureCredential =>
    new DefaultAzureCredential(
      config.storage.kind === 'identity' && config.storage.clientId !== undefined
        ? { managedIdentityClientId: config.storage.clientId }
        : {},
    );
  const armClients = new ArmClients({
    endpoint: config.fleet.armEndpoint,
    credential: armCredential(config.fleet),
    ...(config.fleet.armCaCertPem !== undefined && { caCertPem: config.fleet.armCaCertPem }),
  });
  const sweepQueue = new StorageShardQueue(
    config.storage.kind === 'connectionString'
      ? { kind: 'connectionString', connectionString: config.storage.connectionString }
      : { kind: 'identity', queueServiceUrl: config.storage.queueServiceUrl, credential: identity() },
  );
  return {
    config,
    tables,
    clusters: new TableClusterStore(tables),
    armClients,
    aks: new ArmAksGateway(armClients),
    sweepQueue,
    sweepPolicy: DEFAULT_POLICY,
    notifier: buildNotifier(config, tables, notificationRoutes, identity),
    events: new TableEventStore(tables),
    reactions: [],
    now: () => new Date(),
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
