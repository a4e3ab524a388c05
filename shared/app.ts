import { DefaultAzureCredential } from '@azure/identity';

import type { Config } from './config';
import { loadConfig } from './config';
import type { EventStore } from './store/eventStore';
import { TableEventStore } from './store/eventStore';
import { Tables } from './store/tables';
import type { EventReaction } from './usecases/ingestEvents';

/** Everything the functions need, built once from the settings. The one place real dependencies are wired. */
export interface Services {
  readonly config: Config;
  readonly tables: Tables;
  readonly events: EventStore;
  readonly reactions: readonly EventReaction[];
  readonly now: () => Date;
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
  return {
    config,
    tables,
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
