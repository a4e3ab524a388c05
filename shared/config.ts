/**
 * Warden's settings, read and validated once. Only this file reads the environment.
 * A missing or invalid setting fails at start with the setting's name.
 */
export interface Config {
  /** Table/Queue storage: a connection string (Azurite, keys) or the identity form `AzureWebJobsStorage__*`. */
  readonly storage:
    | { readonly kind: 'connectionString'; readonly connectionString: string }
    | {
        readonly kind: 'identity';
        readonly tableServiceUrl: string;
        readonly queueServiceUrl: string;
        readonly clientId?: string;
      };
  /** Prefix for Warden's table names, so several instances or test runs can share an account. */
  readonly tablePrefix: string;
  /** Base URL for links in notices (approval pages), without a trailing slash. */
  readonly publicBaseUrl: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`setting ${setting}: ${problem}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function optional(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function url(env: Env, name: string, fallback?: string): string {
  const v = optional(env, name) ?? fallback;
  if (v === undefined) throw new ConfigError(name, 'is required');
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(name, `"${v}" is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new ConfigError(name, 'must be an http(s) URL');
  return v.replace(/\/+$/, '');
}

function storageFrom(env: Env): Config['storage'] {
  const cs = optional(env, 'AzureWebJobsStorage');
  if (cs !== undefined) {
    if (!/AccountName=|UseDevelopmentStorage=true|TableEndpoint=/i.test(cs)) {
      throw new ConfigError('AzureWebJobsStorage', 'is not a storage connection string');
    }
    return { kind: 'connectionString', connectionString: cs };
  }
  const account = optional(env, 'AzureWebJobsStorage__accountName');
  const tableUri = optional(env, 'AzureWebJobsStorage__tableServiceUri');
  const queueUri = optional(env, 'AzureWebJobsStorage__queueServiceUri');
  if (account === undefined && tableUri === undefined) {
    throw new ConfigError(
      'AzureWebJobsStorage',
      'is required (a connection string, or AzureWebJobsStorage__accountName for identity)',
    );
  }
  const clientId = optional(env, 'AzureWebJobsStorage__clientId');
  return {
    kind: 'identity',
    tableServiceUrl: tableUri ?? `https://${account ?? ''}.table.core.windows.net`,
    queueServiceUrl: queueUri ?? `https://${account ?? ''}.queue.core.windows.net`,
    ...(clientId !== undefined && { clientId }),
  };
}

/** Reads the settings from an environment (`process.env` in the app). */
export function loadConfig(env: Env): Config {
  const tablePrefix = optional(env, 'WARDEN_TABLE_PREFIX') ?? 'warden';
  if (!/^[A-Za-z][A-Za-z0-9]{0,40}$/.test(tablePrefix)) {
    throw new ConfigError(
      'WARDEN_TABLE_PREFIX',
      'must be letters and digits, starting with a letter, at most 41 long',
    );
  }
  const websiteHost = optional(env, 'WEBSITE_HOSTNAME');
  const publicBaseUrl = url(
    env,
    'WARDEN_PUBLIC_BASE_URL',
    websiteHost !== undefined ? `https://${websiteHost}` : 'http://127.0.0.1:7071',
  );
  return Object.freeze({ storage: storageFrom(env), tablePrefix, publicBaseUrl });
}
