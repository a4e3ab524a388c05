import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import { loadConfig } from '../../shared/config';
import { HANDLED_EVENT_TYPES } from '../../shared/domain/aksEvents';
import {
  allResources,
  type ArmTemplate,
  assignedRole,
  customRoleOf,
  describeCompiled,
  infraDir,
  listBicepFiles,
  moduleTemplate,
  ofType,
  type Placed,
  readBicep,
  repoRoot,
} from '../helpers/bicep';

/**
 * The deployment and the code agree: every setting the code reads is set in Azure, every event type it
 * handles is delivered, every ARM call it makes is allowed, and no secret sits in a template. Each side
 * is read from the files, so a setting, an event type or an SDK call added elsewhere is caught here.
 */

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const functionBicep = readBicep(join(infraDir, 'app/function.bicep'));

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/** Settings shared/config.ts reads: helper calls on the environment, direct reads, and setting-name literals. */
function settingsReadBy(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/\(\s*env\s*,\s*['"`]([A-Za-z_]\w*)['"`]/g)) names.add(m[1]!);
  for (const m of source.matchAll(/\benv\s*(?:\?\.|\.)\s*([A-Za-z_]\w*)/g)) names.add(m[1]!);
  for (const m of source.matchAll(/\benv\s*(?:\?\.)?\[\s*['"`]([A-Za-z_]\w*)['"`]\s*\]/g)) names.add(m[1]!);
  for (const m of source.matchAll(/['"`]((?:AzureWebJobs\w+)|(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+))['"`]/g))
    names.add(m[1]!);
  return [...names].sort();
}

const SETTING_NAME = /^(AzureWebJobs\w+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)$/;

/** App settings infra/app/function.bicep gives the Function App (the keys of its settings objects). */
function bicepAppSettings(): Map<string, string> {
  const settings = new Map<string, string>();
  const lines = functionBicep.code.split('\n');
  const text = functionBicep.text.split('\n');
  lines.forEach((l, n) => {
    for (const m of l.matchAll(/(?:^|[{,])\s*([A-Za-z_]\w*)\s*:\s*/g)) {
      if (!SETTING_NAME.test(m[1]!)) continue;
      const value = (text[n] ?? '').slice((m.index ?? 0) + m[0].length).trim();
      settings.set(m[1]!, value);
    }
  });
  return settings;
}

/** Read by the code but deliberately not app settings in Azure, each with the reason. */
const LOCAL_ONLY: Record<string, string> = {
  AzureWebJobsStorage:
    'a connection string (Azurite locally); in Azure shared keys are off and the identity form AzureWebJobsStorage__* is set',
  WEBSITE_HOSTNAME: 'set by App Service on every app, not an app setting',
  WEBSITE_AUTH_ENABLED: 'set by App Service when App Service Authentication is turned on, not an app setting',
  WARDEN_ACS_CONNECTION_STRING:
    'an ACS access key (the local simulator); in Azure WARDEN_ACS_ENDPOINT with the app identity is set instead',
  WARDEN_ARM_CA_CERT: "the local ARM simulator's self-signed certificate; Azure's ARM has a public one",
  WARDEN_FLEET: 'the simulator fleet file of `npm start`',
  WARDEN_TIMERS: 'the local host runs timers; in Azure the Functions host does',
  WARDEN_LOG: 'console verbosity of the local runtime and tests',
  WARDEN_LOCAL_OUTBOX: "the local runtime's outbox page, which `npm start` sets for the dashboard to link",
  PORT: 'the local host port',
};

/**
 * Set by the Bicep for settings another issue is adding to shared/config.ts. Not an error while they
 * land; the test prints them so the list is trimmed once config.ts reads them.
 */
const EXPECTED_FROM_OTHER_ISSUES: Record<string, string> = {};

describe('settings', () => {
  const config = read('shared/config.ts');
  const readByCode = settingsReadBy(config);
  const inBicep = bicepAppSettings();

  it('the reader of shared/config.ts finds the settings it reads', () => {
    expect(readByCode).toEqual(expect.arrayContaining(['AzureWebJobsStorage', 'WARDEN_PUBLIC_BASE_URL']));
    expect(
      settingsReadBy("optional(env, 'WARDEN_X'); env.WARDEN_Y; env['Z_Z']; const n = 'WARDEN_W';"),
    ).toEqual(['WARDEN_W', 'WARDEN_X', 'WARDEN_Y', 'Z_Z']);
  });

  it('every setting shared/config.ts reads is set by infra/app/function.bicep, or is local-only with a reason', () => {
    const unset = readByCode.filter((s) => !inBicep.has(s) && LOCAL_ONLY[s] === undefined);
    // A new setting? Set it in infra/app/function.bicep (a Key Vault reference if it is a secret), or add
    // it to LOCAL_ONLY above with the reason it has no value in Azure.
    expect(unset).toEqual([]);
  });

  it('no setting is both set in Azure and declared local-only', () => {
    expect(Object.keys(LOCAL_ONLY).filter((s) => inBicep.has(s))).toEqual([]);
  });

  it('every WARDEN_* setting the Bicep sets is read by shared/config.ts, or is expected from another issue', () => {
    const orphans = [...inBicep.keys()].filter(
      (s) =>
        s.startsWith('WARDEN_') && !readByCode.includes(s) && EXPECTED_FROM_OTHER_ISSUES[s] === undefined,
    );
    expect(orphans).toEqual([]);
    const pending = Object.keys(EXPECTED_FROM_OTHER_ISSUES).filter((s) => !readByCode.includes(s));
    if (pending.length > 0)
      console.info(`set in Azure, not read by shared/config.ts yet: ${pending.join(', ')}`);
  });

  it('host storage is the identity form for the user-assigned identity', () => {
    expect(inBicep.has('AzureWebJobsStorage')).toBe(false);
    expect(inBicep.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    for (const s of ['accountName', 'clientId', 'tableServiceUri', 'queueServiceUri', 'blobServiceUri'])
      expect(inBicep.has(`AzureWebJobsStorage__${s}`)).toBe(true);
  });

  it('secrets reach the app only as Key Vault references', () => {
    const secretish = [...inBicep.keys()].filter((s) => /KEY|SECRET|PASSWORD|TOKEN|WORKFLOWS/.test(s));
    expect(secretish).toEqual(
      expect.arrayContaining(['WARDEN_APPROVAL_KEYS', 'WARDEN_TEAMS_WORKFLOWS', 'WARDEN_WEBHOOK_SECRET']),
    );
    expect(functionBicep.text).toMatch(
      /var keyVaultRef = '@Microsoft\.KeyVault\(VaultName=\$\{keyVaultName\};SecretName='/,
    );
    for (const s of secretish)
      expect({ [s]: inBicep.get(s)?.startsWith("'${keyVaultRef}") }).toEqual({ [s]: true });
  });
});

/**
 * What each app setting holds once deployed, for the settings whose Bicep value is an expression
 * (ids, endpoints, Key Vault references as App Service resolves them). Plain literals are read from
 * the Bicep itself. A new expression-valued setting needs an example here.
 */
const DEPLOYED_EXAMPLES: Record<string, string> = {
  AzureWebJobsStorage__accountName: 'stwardenexample01',
  AzureWebJobsStorage__clientId: '11111111-2222-3333-4444-555555555555',
  AzureWebJobsStorage__blobServiceUri: 'https://stwardenexample01.blob.core.windows.net/',
  AzureWebJobsStorage__queueServiceUri: 'https://stwardenexample01.queue.core.windows.net/',
  AzureWebJobsStorage__tableServiceUri: 'https://stwardenexample01.table.core.windows.net/',
  AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  APPLICATIONINSIGHTS_CONNECTION_STRING:
    'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING:
    'ClientId=11111111-2222-3333-4444-555555555555;Authorization=AAD',
  WARDEN_PUBLIC_BASE_URL: 'https://func-warden-abcdefghijklm.azurewebsites.net',
  WARDEN_EMAIL_PER_MINUTE: '5',
  WARDEN_EMAIL_PER_HOUR: '10',
  WARDEN_SCOPE_SUBSCRIPTIONS: '00000000-0000-0000-0000-000000000001,00000000-0000-0000-0000-000000000002',
  WARDEN_SCOPE_MANAGEMENT_GROUP: '',
  WARDEN_CLUSTER_SELECTOR_TAG: '',
  WARDEN_ARM_ENDPOINT: 'https://management.azure.com/',
  WARDEN_POLICY: '',
  WARDEN_VIEWER_GROUPS: '2c8e4a10-0b1d-4c5e-9f3a-7d6b5e4c3a21',
  WARDEN_OPERATOR_GROUPS: '9a7b6c5d-4e3f-4a1b-8c2d-1e0f9a8b7c6d,5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c',
  // As infra/hooks/postprovision.sh writes it: 32 random bytes, base64url ("current[,previous]").
  WARDEN_APPROVAL_KEYS: Buffer.alloc(32, 0x5a).toString('base64url'),
  WARDEN_ACS_ENDPOINT: 'https://acs-abcdefghijklm.unitedstates.communication.azure.com',
  WARDEN_ACS_SENDER: 'DoNotReply@0a1b2c3d-4e5f-6789-abcd-ef0123456789.azurecomm.net',
  WARDEN_WEBHOOK_URL: '',
  WARDEN_TEAMS_WORKFLOWS:
    '{"platform":"https://example.environment.api.powerplatform.com/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke"}',
  WARDEN_WEBHOOK_SECRET: 'an-example-webhook-signing-secret',
  OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: '11111111-2222-3333-4444-555555555555',
};

function deployedEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { WEBSITE_HOSTNAME: 'func-warden-abcdefghijklm.azurewebsites.net' };
  for (const [name, bicepValue] of bicepAppSettings()) {
    const literal = /^'([^'$]*)'$/.exec(bicepValue);
    const value = literal ? literal[1] : DEPLOYED_EXAMPLES[name];
    if (value === undefined) throw new Error(`${name}: add what it holds in Azure to DEPLOYED_EXAMPLES`);
    env[name] = value;
  }
  return { ...env, ...overrides };
}

describe('the deployed settings', () => {
  it('start the app: loadConfig accepts them as Azure resolves them', () => {
    const config = loadConfig(deployedEnvironment());
    expect(config.storage).toEqual({
      kind: 'identity',
      tableServiceUrl: 'https://stwardenexample01.table.core.windows.net/',
      queueServiceUrl: 'https://stwardenexample01.queue.core.windows.net/',
      clientId: '11111111-2222-3333-4444-555555555555',
    });
    expect(config.publicBaseUrl).toBe('https://func-warden-abcdefghijklm.azurewebsites.net');
  });

  it('name the fleet scope once: a management group replaces the subscription list', () => {
    // function.bicep: WARDEN_SCOPE_SUBSCRIPTIONS is empty whenever a management group is given.
    expect(functionBicep.text).toMatch(
      /WARDEN_SCOPE_SUBSCRIPTIONS: empty\(fleetManagementGroup\) \? join\(fleetSubscriptionIds, ','\) : ''/,
    );
    expect(() =>
      loadConfig(
        deployedEnvironment({ WARDEN_SCOPE_SUBSCRIPTIONS: '', WARDEN_SCOPE_MANAGEMENT_GROUP: 'mg-platform' }),
      ),
    ).not.toThrow();
  });

  it('accept the policy and Teams workflows docs/deploy.md tells the operator to set', () => {
    const doc = read('docs/deploy.md');
    const policy = /azd env set WARDEN_POLICY_DOCUMENT '([^']+)'/.exec(doc)?.[1];
    const teams = /cat > teams-workflows\.json <<'EOF'\n\s*(.*)\n\s*EOF/.exec(doc)?.[1];
    expect(policy).toBeDefined();
    expect(teams).toBeDefined();
    // azd pastes environment values into main.parameters.json as they are: no quote, backslash or newline.
    expect(policy).not.toMatch(/["\\\n]/);
    expect(read('infra/main.parameters.json')).toContain(
      '"policy": { "value": "${WARDEN_POLICY_DOCUMENT=}" }',
    );
    const config = loadConfig(
      deployedEnvironment({ WARDEN_POLICY: policy!, WARDEN_TEAMS_WORKFLOWS: teams! }),
    );
    expect(config.policy.gatedRings).toEqual(['production']);
    expect(config.policy.approvals.allow).toEqual(['oncall@contoso.com', 'lead@contoso.com']);
    expect(Object.keys(config.notify.teamsWorkflows)).toEqual(['platform']);
  });

  it('carry no secret through azd parameters: every secure value is a Key Vault reference', () => {
    const parameters = read('infra/main.parameters.json');
    for (const name of ['TEAMS_WORKFLOWS', 'WEBHOOK_SECRET', 'APPROVAL_KEYS'])
      expect(parameters).not.toMatch(new RegExp(`\\$\\{WARDEN_${name}[=}]`));
  });

  it('take the outbound webhook with its secret from Key Vault', () => {
    expect(() =>
      loadConfig(deployedEnvironment({ WARDEN_WEBHOOK_URL: 'https://hooks.example.com/warden' })),
    ).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------
// Event Grid
// ---------------------------------------------------------------------------------------------

/** The topic type(s) of the system topics a template and its modules declare. */
function topicTypes(template: ArmTemplate): string[] {
  return [
    ...new Set(
      allResources(template)
        .filter((p) => p.resource.type === 'Microsoft.EventGrid/systemTopics')
        .map((p) => String(p.resource.properties?.topicType)),
    ),
  ];
}

interface Subscription {
  readonly placed: Placed;
  readonly topicType: string | undefined;
  readonly types: readonly string[];
  readonly properties: Record<string, unknown>;
}

/**
 * Event types the templates deliver before the code handles them (their intake is being added).
 * Not an error while they land; the test prints them so the list is trimmed once the code has them.
 */
const DELIVERED_AHEAD_OF_CODE = [
  'Microsoft.ResourceNotifications.AKSResources.FleetGateCreated',
  'Microsoft.ResourceNotifications.AKSResources.FleetGateUpdated',
  'Microsoft.ResourceNotifications.AKSResources.FleetGateDeleted',
];

describeCompiled('Event Grid subscriptions (compiled)', (template) => {
  const subscriptions: Subscription[] = ofType(
    template,
    'Microsoft.EventGrid/systemTopics/eventSubscriptions',
  ).map((placed) => {
    const properties = placed.resource.properties as Record<string, unknown> & {
      filter?: { includedEventTypes?: string[] };
    };
    const types = topicTypes(placed.template);
    return {
      placed,
      topicType: types.length === 1 ? types[0] : undefined,
      types: properties.filter?.includedEventTypes ?? [],
      properties,
    };
  });
  const lower = (xs: readonly string[]) => xs.map((x) => x.toLowerCase()).sort();

  it('are the three topics: per cluster, AKS advance notices, Fleet Manager gates', () => {
    expect(subscriptions.map((s) => s.topicType).sort()).toEqual([
      'Microsoft.ContainerService.ManagedClusters',
      'Microsoft.ResourceNotifications.AKSResources',
      'Microsoft.ResourceNotifications.ContainerServiceEventResources',
    ]);
  });

  it('filter to exactly the event types the code handles (HANDLED_EVENT_TYPES), compared case-insensitively', () => {
    const delivered = [...new Set(lower(subscriptions.flatMap((s) => s.types)))];
    const handled = lower(HANDLED_EVENT_TYPES);
    const ahead = lower(DELIVERED_AHEAD_OF_CODE).filter((t) => !handled.includes(t));
    expect(delivered).toEqual([...new Set([...handled, ...ahead])].sort());
    if (ahead.length > 0) console.info(`delivered, not handled by the code yet: ${ahead.join(', ')}`);
  });

  it('ask each topic type only for the event types it publishes', () => {
    const publishes: Record<string, string> = {
      'Microsoft.ContainerService.ManagedClusters': 'Microsoft.ContainerService.',
      'Microsoft.ResourceNotifications.ContainerServiceEventResources':
        'Microsoft.ResourceNotifications.ContainerServiceEventResources.',
      'Microsoft.ResourceNotifications.AKSResources': 'Microsoft.ResourceNotifications.AKSResources.',
    };
    for (const s of subscriptions) {
      const prefix = publishes[s.topicType ?? ''];
      expect({ topicType: s.topicType, known: prefix !== undefined }).toEqual({
        topicType: s.topicType,
        known: true,
      });
      expect(s.types.length).toBeGreaterThan(0);
      expect(s.types.filter((t) => !t.startsWith(prefix!))).toEqual([]);
    }
  });

  it('deliver to the Event Grid trigger the code registers, and dead-letter to blob storage with an identity', () => {
    const name = /app\.eventGrid\(\s*'([^']+)'/.exec(read('functions/aksEventGrid.ts'))?.[1];
    expect(name).toBeDefined();
    const fn = moduleTemplate(template, 'function');
    expect(String(fn.outputs?.eventGridFunctionId?.value)).toContain(`/functions/${name!}'`);
    for (const s of subscriptions) {
      expect(s.properties).toMatchObject({
        eventDeliverySchema: 'EventGridSchema',
        destination: {
          endpointType: 'AzureFunction',
          properties: { resourceId: "[parameters('functionResourceId')]" },
        },
        retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
        deadLetterWithResourceIdentity: {
          identity: { type: 'UserAssigned', userAssignedIdentity: "[parameters('eventGridIdentityId')]" },
          deadLetterDestination: { endpointType: 'StorageBlob' },
        },
      });
    }
  });

  it('are created only once the function exists (subscriptionEnabled), topics regardless', () => {
    for (const s of subscriptions)
      expect(s.placed.resource.condition).toBe("[parameters('subscriptionEnabled')]");
  });

  it("the subscription topics are global and their source is the subscription; a cluster's is in its region", () => {
    const topics = ofType(template, 'Microsoft.EventGrid/systemTopics').map((p) => p.resource);
    const bySource = Object.fromEntries(topics.map((t) => [String(t.properties?.topicType), t]));
    for (const type of [
      'Microsoft.ResourceNotifications.ContainerServiceEventResources',
      'Microsoft.ResourceNotifications.AKSResources',
    ]) {
      expect(bySource[type]?.location).toBe('global');
      expect(bySource[type]?.properties?.source).toBe('[subscription().id]');
    }
    expect(bySource['Microsoft.ContainerService.ManagedClusters']?.location).toBe("[parameters('location')]");
  });
});

// ---------------------------------------------------------------------------------------------
// ARM actions
// ---------------------------------------------------------------------------------------------

const CS = 'Microsoft.ContainerService';
/** Polling a long-running operation reads its Azure-AsyncOperation / Location URL. */
const LRO = [`${CS}/locations/operations/read`, `${CS}/locations/operationresults/read`];
const withAliases = (method: string, actions: string[]) => ({
  [method]: actions,
  [`begin${method[0]!.toUpperCase()}${method.slice(1)}`]: actions,
  [`begin${method[0]!.toUpperCase()}${method.slice(1)}AndWait`]: actions,
});

/**
 * SDK method → the ARM actions it needs (operation names from the Azure resource provider operations
 * list; paths from @azure/arm-containerservice 25.5.0, see docs/design/azure-arm.md). A method not
 * here fails the test: add it with its actions, and the actions to a role if they are not covered.
 * Absent on purpose: delete, runCommand, start/stop, the admin and monitoring credentials — Warden
 * never calls them.
 */
/** listClusterUserCredential: granted by the built-in Azure Kubernetes Service Cluster User Role. */
const CLUSTER_USER_ACTION = `${CS}/managedClusters/listClusterUserCredential/action`;

const SDK_ACTIONS: Record<string, Record<string, string[]>> = {
  managedClusters: {
    get: [`${CS}/managedClusters/read`],
    list: [`${CS}/managedClusters/read`],
    listByResourceGroup: [`${CS}/managedClusters/read`],
    getUpgradeProfile: [`${CS}/managedClusters/upgradeProfiles/read`],
    listKubernetesVersions: [`${CS}/locations/kubernetesVersions/read`],
    ...withAliases('createOrUpdate', [`${CS}/managedClusters/write`, ...LRO]),
    ...withAliases('updateTags', [`${CS}/managedClusters/write`, ...LRO]),
    ...withAliases('abortLatestOperation', [`${CS}/managedClusters/abort/action`, ...LRO]),
    // Pre-flight: the server URL and CA of the cluster's API server (no credential for Entra clusters).
    listClusterUserCredentials: [CLUSTER_USER_ACTION],
  },
  agentPools: {
    get: [`${CS}/managedClusters/agentPools/read`],
    list: [`${CS}/managedClusters/agentPools/read`],
    getUpgradeProfile: [`${CS}/managedClusters/agentPools/upgradeProfiles/read`],
    getAvailableAgentPoolVersions: [`${CS}/managedClusters/availableAgentPoolVersions/read`],
    ...withAliases('createOrUpdate', [`${CS}/managedClusters/agentPools/write`, ...LRO]),
    ...withAliases('upgradeNodeImageVersion', [
      `${CS}/managedClusters/agentPools/upgradeNodeImageVersion/action`,
      ...LRO,
    ]),
    ...withAliases('abortLatestOperation', [`${CS}/managedClusters/agentPools/abort/action`, ...LRO]),
  },
  maintenanceConfigurations: {
    get: [`${CS}/managedClusters/maintenanceConfigurations/read`],
    listByManagedCluster: [`${CS}/managedClusters/maintenanceConfigurations/read`],
    createOrUpdate: [`${CS}/managedClusters/maintenanceConfigurations/write`],
    delete: [`${CS}/managedClusters/maintenanceConfigurations/delete`],
  },
  // ResourceGraphClient.resources(query): results cover only what the caller may read.
  resourceGraph: { resources: ['Microsoft.ResourceGraph/resources/read'] },
};

/** Operation groups of ContainerServiceClient whose method calls the scan checks. */
const SDK_GROUPS = [
  'managedClusters',
  'agentPools',
  'maintenanceConfigurations',
  'machines',
  'managedNamespaces',
  'snapshots',
  'trustedAccessRoleBindings',
  'privateEndpointConnections',
  'identityBindings',
];
/** Array/iterator members, for code that names a plain array after a group (`snapshot.agentPools.map(…)`). */
const NOT_SDK = new Set([
  'map',
  'filter',
  'find',
  'some',
  'every',
  'forEach',
  'reduce',
  'flatMap',
  'sort',
  'slice',
  'concat',
  'join',
  'includes',
  'push',
  'entries',
  'keys',
  'values',
  'at',
  'byPage',
  'findIndex',
  'set',
  'has',
  'clear',
  'add',
  'indexOf',
]);

/** REST path fragments called without the SDK (raw pipeline requests) → actions. */
const REST_ACTIONS: Record<string, string[]> = {
  nodeImageVersions: [`${CS}/locations/nodeImageVersions/read`],
  // Pre-flight: VNet usages (free addresses per subnet) and Compute usages (vCPU quota), resource SKUs.
  usages: ['Microsoft.Network/virtualNetworks/usages/read', 'Microsoft.Compute/locations/usages/read'],
  skus: ['Microsoft.Compute/skus/read'],
};

interface Call {
  readonly file: string;
  readonly group: string;
  readonly method: string;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function sdkCalls(source: string, file = 'source'): Call[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const calls: Call[] = [];
  const groups = SDK_GROUPS.join('|');
  for (const m of code.matchAll(
    new RegExp(`\\b(${groups})\\s*(?:\\?\\.|\\.)\\s*(\\w+)\\s*(?:<[^>()]*>)?\\s*\\(`, 'g'),
  )) {
    if (!NOT_SDK.has(m[2]!)) calls.push({ file, group: m[1]!, method: m[2]! });
  }
  for (const _ of code.matchAll(/\.\s*resources\s*\(/g))
    calls.push({ file, group: 'resourceGraph', method: 'resources' });
  for (const fragment of Object.keys(REST_ACTIONS))
    if (code.includes(`/${fragment}`)) calls.push({ file, group: 'rest', method: fragment });
  return calls;
}

function actionsFor(call: Call): string[] | undefined {
  return call.group === 'rest' ? REST_ACTIONS[call.method] : SDK_ACTIONS[call.group]?.[call.method];
}

function covers(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return re.test(action);
}

const BUILT_IN = {
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  clusterUser: '4abbcc35-e782-43d8-92c5-2d3f1bd2253f',
  rbacReader: '7f6c6a51-bcf8-42ba-9220-52d62157d7db',
};

describeCompiled('ARM actions (compiled)', (template) => {
  const calls = sourceFiles(join(repoRoot, 'shared/azure')).flatMap((p) =>
    sdkCalls(readFileSync(p, 'utf8'), relative(repoRoot, p)),
  );
  const customActions = customRoleOf(template, 'Warden AKS Upgrader').actions;
  const fleetRbac = ofType(
    moduleTemplate(template, 'warden-fleet-rbac-'),
    'Microsoft.Authorization/roleAssignments',
  );
  const assigned = (role: string) => fleetRbac.some((p) => assignedRole(p) === role);
  /** What the built-in roles assigned over the fleet scope grant, of what the code calls. */
  const builtInActions = [
    ...(assigned(BUILT_IN.reader) ? ['*/read'] : []),
    ...(assigned(BUILT_IN.clusterUser) ? [CLUSTER_USER_ACTION] : []),
  ];
  const fleetRoles = [...builtInActions, ...customActions];

  it('the scan recognises SDK calls, aliases, Resource Graph and raw REST paths', () => {
    const src = `
      await this.client.managedClusters.createOrUpdate(rg, name, mc);
      const p = client.agentPools?.beginUpgradeNodeImageVersionAndWait(rg, name, pool);
      snapshot.agentPools.map((p) => p.name); // an array, not the SDK
      await graph.resources({ query });
      await pipeline.sendRequest(req(\`/locations/\${l}/nodeImageVersions\`));`;
    expect(sdkCalls(src).map((c) => `${c.group}.${c.method}`)).toEqual([
      'managedClusters.createOrUpdate',
      'agentPools.beginUpgradeNodeImageVersionAndWait',
      'resourceGraph.resources',
      'rest.nodeImageVersions',
    ]);
  });

  it('every SDK call in shared/azure/ is in the action table', () => {
    const unknown = calls
      .filter((c) => actionsFor(c) === undefined)
      .map((c) => `${c.file}: ${c.group}.${c.method}`);
    expect(unknown).toEqual([]);
  });

  it('every ARM action the code calls is granted over the fleet scope', () => {
    const missing = calls.flatMap((c) =>
      (actionsFor(c) ?? [])
        .filter((a) => !fleetRoles.some((p) => covers(p, a)))
        .map((a) => `${c.file}: ${c.group}.${c.method} needs ${a}`),
    );
    expect([...new Set(missing)]).toEqual([]);
  });

  it('writes and actions come from the custom role (or the built-in Cluster User Role), which grants nothing Warden does not call', () => {
    expect(customActions.every((a) => !a.includes('*'))).toBe(true);
    const tableActions = new Set(
      Object.values(SDK_ACTIONS)
        .flatMap((g) => Object.values(g).flat())
        .map((a) => a.toLowerCase()),
    );
    expect(customActions.filter((a) => !tableActions.has(a.toLowerCase()))).toEqual([]);
    for (const c of calls)
      for (const a of actionsFor(c) ?? [])
        if (!/\/read$/i.test(a) && !builtInActions.includes(a))
          expect({
            call: `${c.group}.${c.method}`,
            granted: customActions.some((p) => covers(p, a)),
          }).toEqual({ call: `${c.group}.${c.method}`, granted: true });
  });

  it('the custom role holds what upgrades, node images, aborts and Defer need', () => {
    const needed = [
      ...SDK_ACTIONS.managedClusters!.createOrUpdate!,
      ...SDK_ACTIONS.managedClusters!.abortLatestOperation!,
      ...SDK_ACTIONS.managedClusters!.getUpgradeProfile!,
      ...SDK_ACTIONS.managedClusters!.listKubernetesVersions!,
      ...SDK_ACTIONS.agentPools!.createOrUpdate!,
      ...SDK_ACTIONS.agentPools!.upgradeNodeImageVersion!,
      ...SDK_ACTIONS.agentPools!.abortLatestOperation!,
      ...SDK_ACTIONS.maintenanceConfigurations!.createOrUpdate!,
      ...SDK_ACTIONS.maintenanceConfigurations!.get!,
    ];
    expect(needed.filter((a) => !customActions.some((p) => covers(p, a)))).toEqual([]);
  });

  it("fleet-rbac.bicep gives the app identity Warden's six roles, in every fleet subscription", () => {
    const deployment = ofType(template, 'Microsoft.Resources/deployments').find((p) =>
      p.resource.name.includes('warden-fleet-rbac-'),
    )!.resource as unknown as {
      copy?: { count: string };
      subscriptionId?: string;
      properties: { parameters: Record<string, { value: string }> };
    };
    expect(deployment.copy?.count).toBe("[length(variables('fleet'))]");
    expect(deployment.subscriptionId).toBe("[variables('fleet')[copyIndex()]]");
    expect(deployment.properties.parameters.principalId!.value).toContain('.outputs.appPrincipalId.value');
    const roles = fleetRbac.map((p) => assignedRole(p) ?? String(p.resource.properties?.roleDefinitionId));
    expect(roles.sort()).toEqual(
      [
        BUILT_IN.reader,
        BUILT_IN.clusterUser,
        BUILT_IN.rbacReader,
        "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', parameters('upgraderRoleGuid'))]",
        "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', parameters('preflightRoleGuid'))]",
        "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', parameters('fleetGatesRoleGuid'))]",
      ].sort(),
    );
    for (const p of fleetRbac) {
      expect(p.resource.properties).toMatchObject({
        principalId: "[parameters('principalId')]",
        principalType: 'ServicePrincipal',
      });
      expect(p.resource.scope).toBeUndefined(); // the subscription of the deployment
    }
  });

  it('network-rbac.bicep gives only the pre-flight role, in each network subscription outside the fleet', () => {
    const deployment = ofType(template, 'Microsoft.Resources/deployments').find((p) =>
      p.resource.name.includes('warden-network-rbac-'),
    )!.resource as unknown as { copy?: { count: string }; subscriptionId?: string };
    expect(deployment.copy?.count).toBe("[length(variables('networkOnly'))]");
    expect(deployment.subscriptionId).toBe("[variables('networkOnly')[copyIndex()]]");
    expect(template.variables?.networkOnly).toBe(
      "[filter(variables('requestedNetwork'), lambda('s', not(contains(variables('fleet'), lambdaVariables('s')))))]",
    );
    const assignments = ofType(
      moduleTemplate(template, 'warden-network-rbac-'),
      'Microsoft.Authorization/roleAssignments',
    );
    expect(assignments.map((p) => p.resource.properties?.roleDefinitionId)).toEqual([
      "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', parameters('preflightRoleGuid'))]",
    ]);
    const role = ofType(template, 'Microsoft.Resources/deployments').find((p) =>
      p.resource.name.includes('warden-preflight-role-'),
    )!.resource.properties as unknown as { parameters: { assignableSubscriptionIds: { value: string } } };
    expect(role.parameters.assignableSubscriptionIds.value).toBe(
      "[concat(variables('fleet'), variables('networkOnly'))]",
    );
  });

  it('the pre-flight role only reads: nodes and /metrics beside RBAC Reader, subnets and usages, Compute usages and SKUs', () => {
    const role = customRoleOf(template, 'Warden Pre-flight Reader');
    expect([...role.actions, ...role.dataActions].filter((a) => !/\/read$/.test(a))).toEqual([]);
    expect(role.dataActions.sort()).toEqual([
      'Microsoft.ContainerService/managedClusters/metrics/read',
      'Microsoft.ContainerService/managedClusters/nodes/read',
    ]);
    expect(
      role.actions.filter(
        (a) => !/^Microsoft\.(Network\/virtualNetworks|Compute\/(locations\/usages|skus))\//.test(a),
      ),
    ).toEqual([]);
    expect(role.actions).toEqual(
      expect.arrayContaining([
        'Microsoft.Network/virtualNetworks/subnets/read',
        'Microsoft.Network/virtualNetworks/usages/read',
        'Microsoft.Compute/locations/usages/read',
        'Microsoft.Compute/skus/read',
      ]),
    );
  });

  it('the Fleet role writes gates and stops or skips runs, and creates or deletes nothing', () => {
    const role = customRoleOf(template, 'Warden Fleet Gate Approver');
    expect(role.dataActions).toEqual([]);
    expect(role.actions.filter((a) => !/\/read$/.test(a)).sort()).toEqual([
      'Microsoft.ContainerService/fleets/gates/write',
      'Microsoft.ContainerService/fleets/updateRuns/skip/action',
      'Microsoft.ContainerService/fleets/updateRuns/stop/action',
    ]);
    expect(role.actions.every((a) => a.startsWith('Microsoft.ContainerService/fleets/'))).toBe(true);
  });

  it('no custom role has a wildcard or an exception', () => {
    for (const name of [
      'Warden AKS Upgrader',
      'Warden Pre-flight Reader',
      'Warden Fleet Gate Approver',
      'Warden ACS Email Sender',
    ]) {
      const role = customRoleOf(template, name);
      expect({
        name,
        wildcards: [...role.actions, ...role.dataActions].filter((a) => a.includes('*')),
      }).toEqual({ name, wildcards: [] });
      expect([...role.notActions, ...role.notDataActions]).toEqual([]);
    }
  });

  it('every role assignment says which calls need it', () => {
    for (const f of listBicepFiles().map(readBicep)) {
      const lines = f.text.split('\n');
      lines.forEach((l, n) => {
        if (!/^resource \w+ 'Microsoft\.Authorization\/roleAssignments@/.test(l)) return;
        expect({ file: f.name, line: n + 1, commented: /^\/\//.test(lines[n - 1] ?? '') }).toEqual({
          file: f.name,
          line: n + 1,
          commented: true,
        });
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

function infraFiles(dir = infraDir): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? infraFiles(p) : [p];
  });
}

describe('no secret values in templates', () => {
  const files = [...infraFiles(), join(repoRoot, 'azure.yaml')].map((p) => ({
    name: relative(repoRoot, p),
    text: readFileSync(p, 'utf8'),
  }));
  const FORBIDDEN: [string, RegExp][] = [
    ['a storage account key', /AccountKey\s*=/i],
    ['an access key', /accesskey\s*=|SharedAccessKey\s*=/i],
    ['a SAS signature', /[?&]sig=[A-Za-z0-9%]/],
    ['a private key', /-----BEGIN/],
    ['a key listed from a resource', /\blist(Keys|ConnectionStrings|Secrets|AccountSas|ServiceSas)\s*\(/],
    ['a password value', /password\s*[:=]\s*['"][^'"$]+['"]/i],
    ['a long key-like literal', /'[A-Za-z0-9+/]{40,}={0,2}'/],
  ];

  it.each(FORBIDDEN)('none holds %s', (_what, pattern) => {
    expect(files.filter((f) => pattern.test(f.text)).map((f) => f.name)).toEqual([]);
  });
});

// A secure parameter's default and outputs are the linter's (secure-parameter-default,
// outputs-should-not-contain-secrets).
describeCompiled('secrets (compiled)', (template) => {
  it('no template takes a secure parameter: secrets reach the app as Key Vault references only', () => {
    const secure = allResources(template)
      .map((p) => p.resource.properties?.template)
      .concat([template])
      .flatMap((t) => Object.entries(t?.parameters ?? {}))
      .filter(([, p]) => /^secure/i.test(p.type))
      .map(([name]) => name);
    expect(secure).toEqual([]);
  });

  it('local (key) authentication is off where it can be', () => {
    const props = (type: string) => ofType(template, type).map((p) => p.resource.properties);
    expect(props('Microsoft.Storage/storageAccounts')).toEqual([
      expect.objectContaining({ allowSharedKeyAccess: false }),
    ]);
    expect(props('Microsoft.Insights/components')).toEqual([
      expect.objectContaining({ DisableLocalAuth: true }),
    ]);
    expect(props('Microsoft.KeyVault/vaults')).toEqual([
      expect.objectContaining({ enableRbacAuthorization: true }),
    ]);
  });
});
