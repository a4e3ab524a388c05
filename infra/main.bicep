// AKS Upgrade Warden on Azure, for `azd up` (docs/deploy.md). Identity only: no keys, connection
// strings with keys or passwords anywhere; secrets live in Key Vault and reach the app as references.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; also the seed of every resource name.')
param environmentName string

@minLength(1)
@description('Region of Warden\'s own resources (Flex Consumption must be offered there).')
param location string

@description('Object id of whoever runs azd (AZURE_PRINCIPAL_ID); gets Key Vault Secrets Officer for the approval keys.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param principalType string = 'User'

param resourceGroupName string = ''

@description('Fleet subscriptions, comma or space separated (WARDEN_SCOPE_SUBSCRIPTIONS); empty: this subscription.')
param fleetSubscriptionIds string = ''

@description('Subscriptions outside the fleet that hold the virtual networks of node subnets, comma or space separated (WARDEN_NETWORK_SUBSCRIPTION_IDS): pre-flight reads subnets and their free addresses there.')
param networkSubscriptionIds string = ''

@description('Fleet management group id (WARDEN_SCOPE_MANAGEMENT_GROUP); roles there come from infra/onboard.sh.')
param fleetManagementGroup string = ''

@description('Manage only clusters carrying this tag, as name=value (WARDEN_CLUSTER_SELECTOR_TAG), e.g. warden=enabled; empty: every cluster in scope.')
param clusterSelectorTag string = ''

@description('Resource ids of the AKS clusters to onboard to Event Grid, comma or space separated. A cluster that already has an Event Grid system topic is written clusterId|topicId (an AKS cluster can have only one).')
param aksClusterIds string = ''

@description('"true" creates the Event Grid subscriptions. "false" on the first provision (the function does not exist before the first deploy); the postdeploy hook turns it on. A string: azd substitutes environment values as strings.')
@allowed(['true', 'false'])
param eventSubscriptions string = 'false'

@description('Policy document for WARDEN_POLICY, inline: YAML flow style on one line, e.g. {gatedRings: [production]}; empty: the built-in defaults (or the Key Vault copy, see policyInVault).')
param policy string = ''

@description('"true" when Key Vault holds the policy as warden-policy (infra/onboard.sh policy); it then wins over policy.')
@allowed(['true', 'false'])
param policyInVault string = 'false'

@description('Base URL for approval links (WARDEN_PUBLIC_BASE_URL), e.g. a front door; empty: the app\'s own host name.')
param publicBaseUrl string = ''

@description('Outbound webhook URL (WARDEN_WEBHOOK_URL); empty: none. Its secret must be in Key Vault (infra/onboard.sh webhook).')
param webhookUrl string = ''

@description('"true" when Key Vault holds warden-teams-workflows (infra/onboard.sh teams).')
@allowed(['true', 'false'])
param teamsWorkflowsInVault string = 'false'

@description('"true" when Key Vault holds warden-webhook-secret (infra/onboard.sh webhook).')
@allowed(['true', 'false'])
// A flag saying where the secret is, never the secret: nothing to mark @secure().
#disable-next-line secure-secrets-in-params
param webhookSecretInVault string = 'false'

@description('Where Communication Services keeps data at rest.')
param acsDataLocation string = 'United States'

@description('Application (client) id of the Entra app registration people sign in to Warden with (WARDEN_AUTH_CLIENT_ID; docs/deploy.md, "Sign-in"); empty: nobody can sign in, and only the webhook, the personal links and the health probe answer.')
param authClientId string = ''

@description('Entra group object ids of Warden viewers, comma separated (WARDEN_VIEWER_GROUPS); the Warden.Viewer app role grants the same.')
param viewerGroups string = ''

@description('Entra group object ids of Warden operators, comma separated (WARDEN_OPERATOR_GROUPS); the Warden.Operator app role grants the same.')
param operatorGroups string = ''

@description('Memory of each Function App instance in MB (WARDEN_INSTANCE_MEMORY_MB): 512, 2048 or 4096, the sizes Flex Consumption offers. A string, as azd substitutes it.')
@allowed(['512', '2048', '4096'])
param instanceMemoryMB string = '2048'

@description('Most emails Warden sends in any minute (WARDEN_EMAIL_PER_MINUTE): the ACS Email limit of the sender\'s domain. 5 for the Azure-managed domain this template creates; 30 initially for a custom domain, more once Microsoft raises it. A string, as azd substitutes it.')
param emailPerMinute string = '5'

@description('Most emails Warden sends in any hour (WARDEN_EMAIL_PER_HOUR): 10 for the Azure-managed domain, 100 initially for a custom domain.')
param emailPerHour string = '10'

@description('"true" subscribes Warden to Fleet Manager gate events in every fleet subscription (a Microsoft.ResourceNotifications.AKSResources system topic; a subscription can have only one). "false" where another topic of that type exists already.')
@allowed(['true', 'false'])
param fleetGateEvents string = 'true'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var rgName = empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
var appName = 'func-warden-${resourceToken}'
var deploymentContainerName = 'app-package-${take(resourceToken, 7)}'
var deadLetterContainerName = 'eventgrid-deadletter'
var instanceMemorySizes = { '512': 512, '2048': 2048, '4096': 4096 }

var requestedFleet = filter(split(replace(replace(fleetSubscriptionIds, ',', ' '), ';', ' '), ' '), s => !empty(s))
var fleet = empty(requestedFleet) ? [subscription().subscriptionId] : requestedFleet
var requestedNetwork = filter(split(replace(replace(networkSubscriptionIds, ',', ' '), ';', ' '), ' '), s => !empty(s))
var networkOnly = filter(requestedNetwork, s => !contains(fleet, s))
var clusterEntries = filter(split(replace(replace(aksClusterIds, ',', ' '), ';', ' '), ' '), s => !empty(s))
// An entry is a cluster id, or clusterId|topicId for a cluster that has a system topic already.
var clusters = map(clusterEntries, e => {
  id: split(e, '|')[0]
  topicId: length(split(e, '|')) > 1 ? split(e, '|')[1] : ''
})

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: rgName
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    location: location
    tags: tags
    appIdentityName: 'id-warden-${resourceToken}'
    eventGridIdentityName: 'id-warden-eventgrid-${resourceToken}'
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'st${resourceToken}'
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
  }
}

module vault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'kv-${resourceToken}'
  }
}

module communication 'app/communication.bicep' = {
  name: 'communication'
  scope: rg
  params: {
    tags: tags
    communicationServiceName: 'acs-${resourceToken}'
    emailServiceName: 'ecs-${resourceToken}'
    dataLocation: acsDataLocation
  }
}

module app 'app/function.bicep' = {
  name: 'function'
  scope: rg
  params: {
    location: location
    tags: tags
    name: appName
    planName: 'plan-${resourceToken}'
    identityId: identity.outputs.appIdentityId
    identityClientId: identity.outputs.appClientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultName: vault.outputs.name
    acsEndpoint: communication.outputs.endpoint
    acsSenderAddress: communication.outputs.senderAddress
    fleetSubscriptionIds: fleet
    fleetManagementGroup: fleetManagementGroup
    clusterSelectorTag: clusterSelectorTag
    policy: policy
    policyInVault: policyInVault == 'true'
    publicBaseUrl: publicBaseUrl
    webhookUrl: webhookUrl
    teamsWorkflowsInVault: teamsWorkflowsInVault == 'true'
    webhookSecretInVault: webhookSecretInVault == 'true'
    viewerGroups: viewerGroups
    operatorGroups: operatorGroups
    authClientId: authClientId
    instanceMemoryMB: instanceMemorySizes[instanceMemoryMB]
    emailPerMinute: int(emailPerMinute)
    emailPerHour: int(emailPerHour)
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    deadLetterContainerName: storage.outputs.deadLetterContainerName
    keyVaultName: vault.outputs.name
    communicationServiceName: communication.outputs.communicationServiceName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appPrincipalId: identity.outputs.appPrincipalId
    eventGridPrincipalId: identity.outputs.eventGridPrincipalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

// The custom AKS role, defined in the first fleet subscription and assignable in all of them.
module upgraderRole 'app/aks-upgrader-role.bicep' = {
  name: take('warden-aks-upgrader-role-${environmentName}', 64)
  scope: subscription(fleet[0])
  params: {
    environmentName: environmentName
    assignableSubscriptionIds: fleet
  }
}

// Pre-flight's reads and the Fleet Manager gate decisions: two more custom roles, defined like the first.
module preflightRole 'app/preflight-role.bicep' = {
  name: take('warden-preflight-role-${environmentName}', 64)
  scope: subscription(fleet[0])
  params: {
    environmentName: environmentName
    assignableSubscriptionIds: concat(fleet, networkOnly)
  }
}

module fleetGatesRole 'app/fleet-gates-role.bicep' = {
  name: take('warden-fleet-gates-role-${environmentName}', 64)
  scope: subscription(fleet[0])
  params: {
    environmentName: environmentName
    assignableSubscriptionIds: fleet
  }
}

module fleetRbac 'app/fleet-rbac.bicep' = [
  for (sub, i) in fleet: {
    name: '${take('warden-fleet-rbac-${environmentName}', 50)}-${i}'
    scope: subscription(sub)
    params: {
      principalId: identity.outputs.appPrincipalId
      upgraderRoleGuid: upgraderRole.outputs.roleDefinitionGuid
      preflightRoleGuid: preflightRole.outputs.roleDefinitionGuid
      fleetGatesRoleGuid: fleetGatesRole.outputs.roleDefinitionGuid
    }
  }
]

// Node subnets whose virtual network lives in a subscription outside the fleet (a hub): the pre-flight
// role there, and nothing else.
module networkRbac 'app/network-rbac.bicep' = [
  for (sub, i) in networkOnly: {
    name: '${take('warden-network-rbac-${environmentName}', 50)}-${i}'
    scope: subscription(sub)
    params: {
      principalId: identity.outputs.appPrincipalId
      preflightRoleGuid: preflightRole.outputs.roleDefinitionGuid
    }
  }
]

module fleetEvents 'app/fleet-events.bicep' = [
  for (sub, i) in fleet: {
    name: '${take('warden-fleet-events-${environmentName}', 50)}-${i}'
    scope: subscription(sub)
    params: {
      location: location
      tags: tags
      resourceGroupName: 'rg-${environmentName}-aks-events'
      functionResourceId: app.outputs.eventGridFunctionId
      eventGridIdentityId: identity.outputs.eventGridIdentityId
      deadLetterStorageAccountId: storage.outputs.id
      deadLetterContainerName: storage.outputs.deadLetterContainerName
      subscriptionEnabled: eventSubscriptions == 'true'
      fleetGateEvents: fleetGateEvents == 'true'
    }
    dependsOn: [rbac]
  }
]

// /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}
module clusterEvents 'app/cluster-events.bicep' = [
  for (c, i) in clusters: {
    name: 'warden-aks-events-${take(uniqueString(c.id), 8)}-${i}'
    // The topic's resource group: the cluster's for a new topic, else wherever the existing one lives.
    scope: resourceGroup(split(empty(c.topicId) ? c.id : c.topicId, '/')[2], split(empty(c.topicId) ? c.id : c.topicId, '/')[4])
    params: {
      clusterId: c.id
      existingTopicName: empty(c.topicId) ? '' : last(split(c.topicId, '/'))
      tags: tags
      functionResourceId: app.outputs.eventGridFunctionId
      eventGridIdentityId: identity.outputs.eventGridIdentityId
      deadLetterStorageAccountId: storage.outputs.id
      deadLetterContainerName: storage.outputs.deadLetterContainerName
      subscriptionEnabled: eventSubscriptions == 'true'
    }
    dependsOn: [rbac]
  }
]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.name
output AZURE_KEY_VAULT_NAME string = vault.outputs.name
output SERVICE_WARDEN_BASE_URL string = 'https://${app.outputs.defaultHostName}'
output WARDEN_IDENTITY_PRINCIPAL_ID string = identity.outputs.appPrincipalId
output WARDEN_IDENTITY_CLIENT_ID string = identity.outputs.appClientId
output WARDEN_EVENTGRID_IDENTITY_ID string = identity.outputs.eventGridIdentityId
output WARDEN_UPGRADER_ROLE_NAME string = upgraderRole.outputs.roleName
output WARDEN_PREFLIGHT_ROLE_NAME string = preflightRole.outputs.roleName
output WARDEN_FLEET_GATES_ROLE_NAME string = fleetGatesRole.outputs.roleName
output WARDEN_ACS_SENDER string = communication.outputs.senderAddress
output WARDEN_FLEET_SUBSCRIPTIONS string = join(fleet, ',')
