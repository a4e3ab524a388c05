import { readFileSync } from 'node:fs';

import type { ApprovalKeys } from './approvals/tokens';
import { parseApprovalKeys } from './approvals/tokens';
import type { Policy } from './domain/policy';
import { parsePolicy, PolicyError } from './domain/policy';
import { isEmailAddress } from './notify/routing';

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
  /** `WARDEN_LOCAL_OUTBOX`: where the local runtime shows what it sent (`npm start` sets it); the dashboard links it. */
  readonly localOutbox?: string;
  /**
   * App Service Authentication (Easy Auth) is on (`WEBSITE_AUTH_ENABLED=True`, set by App Service).
   * Only then are the `x-ms-client-principal*` headers App Service's rather than the caller's, so
   * only then does Warden read the signed-in principal (and its Entra groups).
   */
  readonly easyAuth: boolean;
  /** Who may read and who may act once App Service Authentication is on (shared/web/access.ts). */
  readonly access: AccessConfig;
  /** Where the fleet is and how Warden reaches ARM (the AKS gateway and the fleet sweep). */
  readonly fleet: FleetConfig;
  /** Notification channels (ACS Email, Teams workflows, the outbound webhook) and routes. */
  readonly notify: NotifyConfig;
  /** The policy (`WARDEN_POLICY`: a JSON/YAML file path or the document inline; unset: the defaults). */
  readonly policy: Policy;
  /**
   * Approval link signing keys (`WARDEN_APPROVAL_KEYS`: `current[,previous]`, base64, >= 32 bytes each).
   * Required to run (shared/app.ts fails at start without it); optional here so tools that read other
   * settings need no key.
   */
  readonly approvalKeys?: ApprovalKeys;
}

/**
 * The Entra groups whose members are Warden viewers (read every page and list) and operators (also
 * act: cancel, abort, retry, sweep, reissue links). The app roles `Warden.Viewer` / `Warden.Operator`
 * grant the same without a group.
 */
export interface AccessConfig {
  /** `WARDEN_VIEWER_GROUPS`: comma-separated group object ids, lower case. */
  readonly viewerGroups: readonly string[];
  /** `WARDEN_OPERATOR_GROUPS`: comma-separated group object ids, lower case. */
  readonly operatorGroups: readonly string[];
}

/** Which clusters Warden manages and which ARM it talks to. */
export interface FleetConfig {
  /** ARM base URL (`WARDEN_ARM_ENDPOINT`): Azure's, or the local simulator's. No trailing slash. */
  readonly armEndpoint: string;
  /** True when the endpoint is a loopback address (the simulator): a static token stands in for Entra. */
  readonly armIsLoopback: boolean;
  /** PEM of the CA that signed a loopback simulator's certificate (`WARDEN_ARM_CA_CERT`, a file path). */
  readonly armCaCertPem?: string;
  /**
   * The scope of the inventory: listed subscriptions, a management group, or (neither set) every
   * subscription the identity can read, which is what Resource Graph answers without a scope.
   */
  readonly scope:
    | { readonly kind: 'subscriptions'; readonly subscriptionIds: readonly string[] }
    | { readonly kind: 'managementGroup'; readonly managementGroupId: string }
    | { readonly kind: 'tenant' };
  /** A tag a cluster must carry to be managed (`WARDEN_CLUSTER_SELECTOR_TAG=name=value`); undefined: all in scope. */
  readonly clusterSelector?: { readonly name: string; readonly value: string };
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

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

function fleetFrom(env: Env): FleetConfig {
  const armEndpoint = url(env, 'WARDEN_ARM_ENDPOINT', 'https://management.azure.com');
  const parsed = new URL(armEndpoint);
  const armIsLoopback = LOOPBACK_HOST.test(parsed.hostname);
  if (parsed.protocol === 'http:' && !armIsLoopback)
    throw new ConfigError('WARDEN_ARM_ENDPOINT', 'must be https (plain http only for a loopback simulator)');

  const caPath = optional(env, 'WARDEN_ARM_CA_CERT');
  let armCaCertPem: string | undefined;
  if (caPath !== undefined) {
    try {
      armCaCertPem = readFileSync(caPath, 'utf8');
    } catch (e) {
      throw new ConfigError(
        'WARDEN_ARM_CA_CERT',
        `cannot read "${caPath}" (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    if (!armCaCertPem.includes('-----BEGIN CERTIFICATE-----'))
      throw new ConfigError('WARDEN_ARM_CA_CERT', `"${caPath}" is not a PEM certificate`);
  }

  const subscriptionsText = optional(env, 'WARDEN_SCOPE_SUBSCRIPTIONS');
  const managementGroup = optional(env, 'WARDEN_SCOPE_MANAGEMENT_GROUP');
  let scope: FleetConfig['scope'] = { kind: 'tenant' };
  if (subscriptionsText !== undefined && managementGroup !== undefined)
    throw new ConfigError(
      'WARDEN_SCOPE_MANAGEMENT_GROUP',
      'cannot be set together with WARDEN_SCOPE_SUBSCRIPTIONS; set one of them',
    );
  if (subscriptionsText !== undefined) {
    const ids = subscriptionsText
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const bad = ids.find((id) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id));
    if (bad !== undefined || ids.length === 0)
      throw new ConfigError(
        'WARDEN_SCOPE_SUBSCRIPTIONS',
        `must be a comma-separated list of subscription ids, got "${bad ?? subscriptionsText}"`,
      );
    const unique = [...new Map(ids.map((id) => [id.toLowerCase(), id])).values()];
    scope = { kind: 'subscriptions', subscriptionIds: unique };
  } else if (managementGroup !== undefined) {
    if (!/^[A-Za-z0-9._()-]{1,90}$/.test(managementGroup))
      throw new ConfigError(
        'WARDEN_SCOPE_MANAGEMENT_GROUP',
        `"${managementGroup}" is not a management group id (letters, digits, - _ . ( ), at most 90)`,
      );
    scope = { kind: 'managementGroup', managementGroupId: managementGroup };
  }

  const selectorText = optional(env, 'WARDEN_CLUSTER_SELECTOR_TAG');
  let clusterSelector: FleetConfig['clusterSelector'];
  if (selectorText !== undefined) {
    const eq = selectorText.indexOf('=');
    const name = eq > 0 ? selectorText.slice(0, eq).trim() : '';
    const value = eq > 0 ? selectorText.slice(eq + 1).trim() : '';
    if (name === '' || value === '' || /[<>%&\\?/]/.test(name))
      throw new ConfigError(
        'WARDEN_CLUSTER_SELECTOR_TAG',
        `must be name=value (a tag name and the value a managed cluster carries), got "${selectorText}"`,
      );
    clusterSelector = { name, value };
  }

  return {
    armEndpoint,
    armIsLoopback,
    ...(armCaCertPem !== undefined && { armCaCertPem }),
    scope,
    ...(clusterSelector !== undefined && { clusterSelector }),
  };
}

/** How Warden reaches people. Every channel is optional; a notice routed to an unset channel is not written. */
export interface NotifyConfig {
  /**
   * ACS Email: `WARDEN_ACS_CONNECTION_STRING` (`endpoint=…;accesskey=…`, locally) or `WARDEN_ACS_ENDPOINT`
   * (+ DefaultAzureCredential, in Azure), and `WARDEN_ACS_SENDER` (an address on a verified domain).
   */
  readonly email?:
    | { readonly kind: 'connectionString'; readonly connectionString: string; readonly sender: string }
    | { readonly kind: 'endpoint'; readonly endpoint: string; readonly sender: string };
  /** `WARDEN_TEAMS_WORKFLOWS`: JSON `{ "name": "https://…workflow trigger URL" }`. Routes and tags name them. */
  readonly teamsWorkflows: Readonly<Record<string, string>>;
  /** `WARDEN_WEBHOOK_URL` + `WARDEN_WEBHOOK_SECRET`: every notice as a signed CloudEvent. */
  readonly webhook?: { readonly url: string; readonly secret: string };
  /**
   * `WARDEN_EMAIL_PER_MINUTE` / `WARDEN_EMAIL_PER_HOUR`: the most emails sent in any minute and hour,
   * across instances. Defaults 30 and 100: ACS Email's initial limits for a custom domain
   * (learn.microsoft.com/azure/communication-services/concepts/service-limits, "Rate limits for
   * email"); raise them with the quota Microsoft granted, never above it.
   */
  readonly emailRate: { readonly perMinute: number; readonly perHour: number };
}

function countSetting(env: Env, name: string, fallback: number): number {
  const text = optional(env, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new ConfigError(name, `must be a whole number from 1 to 1000000, got "${text.slice(0, 40)}"`);
  return n;
}

function jsonSetting(env: Env, name: string): unknown {
  const text = optional(env, name);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ConfigError(name, 'is not valid JSON');
  }
}

function notifyFrom(env: Env): NotifyConfig {
  const sender = optional(env, 'WARDEN_ACS_SENDER');
  if (sender !== undefined && !isEmailAddress(sender))
    throw new ConfigError('WARDEN_ACS_SENDER', `"${sender}" is not an email address`);
  const connectionString = optional(env, 'WARDEN_ACS_CONNECTION_STRING');
  const endpointText = optional(env, 'WARDEN_ACS_ENDPOINT');
  let email: NotifyConfig['email'];
  if (connectionString !== undefined) {
    const m = /endpoint=(.*);accesskey=(.*)/i.exec(connectionString);
    if (!m || !/^https?:\/\/[^;]+$/i.test(m[1] ?? '') || !/^[A-Za-z0-9+/=]+$/.test(m[2] ?? ''))
      throw new ConfigError(
        'WARDEN_ACS_CONNECTION_STRING',
        'must be "endpoint=https://…/;accesskey=<base64 key>"',
      );
    if (sender === undefined)
      throw new ConfigError('WARDEN_ACS_SENDER', 'is required when ACS Email is configured');
    email = { kind: 'connectionString', connectionString, sender };
  } else if (endpointText !== undefined) {
    const endpoint = url(env, 'WARDEN_ACS_ENDPOINT');
    if (sender === undefined)
      throw new ConfigError('WARDEN_ACS_SENDER', 'is required when ACS Email is configured');
    email = { kind: 'endpoint', endpoint, sender };
  }

  const workflowsRaw = jsonSetting(env, 'WARDEN_TEAMS_WORKFLOWS') ?? {};
  if (typeof workflowsRaw !== 'object' || workflowsRaw === null || Array.isArray(workflowsRaw))
    throw new ConfigError('WARDEN_TEAMS_WORKFLOWS', 'must be a JSON object { "name": "https://…" }');
  const teamsWorkflows: Record<string, string> = {};
  for (const [name, target] of Object.entries(workflowsRaw as Record<string, unknown>)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name))
      throw new ConfigError(
        'WARDEN_TEAMS_WORKFLOWS',
        `"${name}" is not a workflow name (letters, digits, . _ -)`,
      );
    let parsed: URL | undefined;
    try {
      parsed = typeof target === 'string' ? new URL(target) : undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:'))
      throw new ConfigError('WARDEN_TEAMS_WORKFLOWS', `the URL of "${name}" is not an http(s) URL`);
    teamsWorkflows[name] = target as string;
  }

  const webhookUrl = optional(env, 'WARDEN_WEBHOOK_URL');
  let webhook: NotifyConfig['webhook'];
  if (webhookUrl !== undefined) {
    const secret = optional(env, 'WARDEN_WEBHOOK_SECRET');
    if (secret === undefined || secret.length < 16)
      throw new ConfigError(
        'WARDEN_WEBHOOK_SECRET',
        'is required with WARDEN_WEBHOOK_URL, at least 16 characters',
      );
    webhook = { url: url(env, 'WARDEN_WEBHOOK_URL'), secret };
  }

  return {
    ...(email !== undefined && { email }),
    teamsWorkflows,
    ...(webhook !== undefined && { webhook }),
    emailRate: {
      perMinute: countSetting(env, 'WARDEN_EMAIL_PER_MINUTE', 30),
      perHour: countSetting(env, 'WARDEN_EMAIL_PER_HOUR', 100),
    },
  };
}

const GROUP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A comma-separated list of Entra group object ids (the values of the `groups` claim). */
function groupIds(env: Env, name: string): string[] {
  const ids = (optional(env, name) ?? '')
    .split(',')
    .map((g) => g.trim().toLowerCase())
    .filter((g) => g !== '');
  const bad = ids.find((g) => !GROUP_ID.test(g));
  if (bad !== undefined)
    throw new ConfigError(name, `"${bad.slice(0, 60)}" is not an Entra group object id (a GUID)`);
  return ids;
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
  // Without WARDEN_PUBLIC_BASE_URL, links point at the app's own host name (set by App Service).
  const websiteHost = optional(env, 'WEBSITE_HOSTNAME');
  const publicBaseUrl =
    optional(env, 'WARDEN_PUBLIC_BASE_URL') === undefined && websiteHost !== undefined
      ? url({ WEBSITE_HOSTNAME: `https://${websiteHost}` }, 'WEBSITE_HOSTNAME')
      : url(env, 'WARDEN_PUBLIC_BASE_URL', 'http://127.0.0.1:7071');
  const easyAuth = optional(env, 'WEBSITE_AUTH_ENABLED')?.toLowerCase() === 'true';
  const policy = policyFrom(env);
  if (policy.approvals.requireSignIn && !easyAuth) {
    throw new ConfigError(
      'WARDEN_POLICY',
      'approvals.requireSignIn needs App Service Authentication (Easy Auth) on the app, and WEBSITE_AUTH_ENABLED is not True',
    );
  }
  const localOutbox = optional(env, 'WARDEN_LOCAL_OUTBOX');
  if (localOutbox !== undefined && !/^\/[\w./-]*$/.test(localOutbox))
    throw new ConfigError('WARDEN_LOCAL_OUTBOX', 'must be a path on this host, such as /_local/outbox');
  return Object.freeze({
    storage: storageFrom(env),
    tablePrefix,
    publicBaseUrl,
    ...(localOutbox !== undefined && { localOutbox }),
    easyAuth,
    access: {
      viewerGroups: groupIds(env, 'WARDEN_VIEWER_GROUPS'),
      operatorGroups: groupIds(env, 'WARDEN_OPERATOR_GROUPS'),
    },
    fleet: fleetFrom(env),
    notify: notifyFrom(env),
    policy,
    ...approvalKeysFrom(env),
  });
}

/** `WARDEN_POLICY`: inline JSON/YAML when it looks like a document, else a file path. */
function policyFrom(env: Env): Policy {
  const value = optional(env, 'WARDEN_POLICY');
  if (value === undefined) return parsePolicy('');
  const inline = /^[{[]/.test(value) || value.includes('\n') || /^[A-Za-z][\w-]+\s*:(\s|$)/.test(value);
  let text = value;
  if (!inline) {
    try {
      text = readFileSync(value, 'utf8');
    } catch (e) {
      throw new ConfigError(
        'WARDEN_POLICY',
        `cannot read the policy file "${value}" (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  try {
    return parsePolicy(text);
  } catch (e) {
    if (e instanceof PolicyError) throw new ConfigError('WARDEN_POLICY', e.problems.join('; '));
    throw e;
  }
}

function approvalKeysFrom(env: Env): { approvalKeys?: ApprovalKeys } {
  const value = optional(env, 'WARDEN_APPROVAL_KEYS');
  if (value === undefined) return {};
  const keys = parseApprovalKeys(value);
  if (typeof keys === 'string') throw new ConfigError('WARDEN_APPROVAL_KEYS', keys);
  return { approvalKeys: keys };
}

/** The approval keys, or the start-up failure naming the setting. */
export function requireApprovalKeys(config: Pick<Config, 'approvalKeys'>): ApprovalKeys {
  if (config.approvalKeys === undefined)
    throw new ConfigError(
      'WARDEN_APPROVAL_KEYS',
      'is required (current[,previous]: base64 keys of at least 32 bytes; npm start generates one locally)',
    );
  return config.approvalKeys;
}
