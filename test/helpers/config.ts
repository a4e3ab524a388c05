import { ConfigError, loadConfig } from '../../shared/config';

/** The least environment that loads: storage only (Azurite's development connection string). */
export const BASE_ENV = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' } as const;

/** The ConfigError `loadConfig` fails with for BASE_ENV plus `env`; throws when it loads instead. */
export function configFailure(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ ...BASE_ENV, ...env });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}
