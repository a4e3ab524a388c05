// The Function App: Flex Consumption (Linux), Node 22, running as a user-assigned identity.
// Every setting Warden reads (shared/config.ts) is set here or listed, with its reason, as local-only
// in test/unit/infraContract.test.ts. Secrets are Key Vault references resolved with the same identity.
param location string
param tags object
param name string
param planName string

param identityId string
param identityClientId string

param storageAccountName string
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
param deploymentContainerName string

param applicationInsightsConnectionString string
param keyVaultName string

param acsEndpoint string
param acsSenderAddress string

@description('Fleet subscription ids (WARDEN_SCOPE_SUBSCRIPTIONS).')
param fleetSubscriptionIds array

@description('Fleet management group id (WARDEN_SCOPE_MANAGEMENT_GROUP); empty: the subscriptions. The app takes one scope, so a management group replaces the subscription list.')
param fleetManagementGroup string

@description('Only clusters with this tag, as name=value (WARDEN_CLUSTER_SELECTOR_TAG); empty: every cluster in scope.')
param clusterSelectorTag string

@description('The policy document (WARDEN_POLICY): inline JSON/YAML, or a path in the package; empty: the built-in defaults.')
param policy string

@description('True when Key Vault holds the policy as warden-policy; it then wins over policy.')
param policyInVault bool

@description('Base URL of links in notices (WARDEN_PUBLIC_BASE_URL); empty: https://<app>.azurewebsites.net.')
param publicBaseUrl string

@description('Outbound webhook URL for CloudEvents notices (WARDEN_WEBHOOK_URL); empty: none.')
param webhookUrl string

@description('True when Key Vault holds warden-teams-workflows.')
param teamsWorkflowsInVault bool

@description('True when Key Vault holds warden-webhook-secret.')
param webhookSecretInVault bool

@description('Comma-separated Entra group object ids whose members may read every page and list (WARDEN_VIEWER_GROUPS); empty: the Warden.Viewer app role only.')
param viewerGroups string

@description('Comma-separated Entra group object ids whose members may also act (WARDEN_OPERATOR_GROUPS); empty: the Warden.Operator app role only.')
param operatorGroups string

@description('Application (client) id of the Entra app registration people sign in to (docs/deploy.md, "Sign-in"); empty: no identity provider, so only the excluded paths answer.')
param authClientId string

param maximumInstanceCount int = 40

@description('Most emails sent in any minute and any hour (WARDEN_EMAIL_PER_MINUTE / WARDEN_EMAIL_PER_HOUR): the ACS Email limits the subscription was granted.')
@minValue(1)
param emailPerMinute int = 5
@minValue(1)
param emailPerHour int = 10

@description('Memory of each instance, in MB: the sizes Flex Consumption offers (flex-consumption-plan.md, "Instance memory").')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'warden' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the user-assigned identity (app-service-key-vault-references.md,
    // "Access vaults with a user-assigned identity").
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

var keyVaultRef = '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName='

// The Node worker's heap, sized from the instance memory (nodeHeap.json: half of it), so V8 collects
// before the instance runs out instead of growing toward its own default of up to 4 GB.
var nodeOldSpaceMB = loadJsonContent('nodeHeap.json', '$.oldSpaceMB')[string(instanceMemoryMB)]

var settings = {
  // Host storage and Warden's tables/queues, by identity (functions-reference.md, "Connecting to host
  // storage with an identity"). No AzureWebJobsStorage connection string: shared keys are off.
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  // DefaultAzureCredential picks the user-assigned identity by this client id (ARM, Resource Graph, ACS).
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  WARDEN_TABLE_PREFIX: 'warden'
  WARDEN_PUBLIC_BASE_URL: empty(publicBaseUrl) ? 'https://${app.properties.defaultHostName}' : publicBaseUrl
  WARDEN_SCOPE_SUBSCRIPTIONS: empty(fleetManagementGroup) ? join(fleetSubscriptionIds, ',') : ''
  WARDEN_SCOPE_MANAGEMENT_GROUP: fleetManagementGroup
  WARDEN_CLUSTER_SELECTOR_TAG: clusterSelectorTag
  WARDEN_ARM_ENDPOINT: environment().resourceManager
  WARDEN_POLICY: policyInVault ? '${keyVaultRef}warden-policy)' : policy
  WARDEN_APPROVAL_KEYS: '${keyVaultRef}warden-approval-keys)'
  WARDEN_ACS_ENDPOINT: acsEndpoint
  WARDEN_ACS_SENDER: acsSenderAddress
  WARDEN_EMAIL_PER_MINUTE: string(emailPerMinute)
  WARDEN_EMAIL_PER_HOUR: string(emailPerHour)
  WARDEN_WEBHOOK_URL: webhookUrl
  WARDEN_VIEWER_GROUPS: viewerGroups
  WARDEN_OPERATOR_GROUPS: operatorGroups
  // App Service Authentication proves the app to Entra with this identity's token (a federated
  // credential on the app registration) instead of a client secret (configure-authentication-provider-aad.md,
  // "Use a managed identity instead of a secret").
  OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identityClientId
  // Arguments the Functions host starts node with (functions-reference-node.md, "Environment
  // variables"); the package carries a V8 code cache for each of these sizes (docs/deploy.md "Cold start").
  languageWorkers__node__arguments: '--max-old-space-size=${nodeOldSpaceMB}'
}

var teamsSetting = teamsWorkflowsInVault ? { WARDEN_TEAMS_WORKFLOWS: '${keyVaultRef}warden-teams-workflows)' } : {}
var webhookSecretSetting = webhookSecretInVault ? { WARDEN_WEBHOOK_SECRET: '${keyVaultRef}warden-webhook-secret)' } : {}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: union(settings, teamsSetting, webhookSecretSetting)
}

// Paths that answer without Entra sign-in: the Event Grid webhook (function key) and the Event Grid
// trigger's runtime endpoint (its system key), the personal link pages whose signed token is the
// control, and the health probe. Everything else needs a signed-in principal; Warden itself then
// tells viewers from operators (WARDEN_VIEWER_GROUPS / WARDEN_OPERATOR_GROUPS and the app roles).
// test/unit/infraAuth.test.ts keeps this list, the routes in functions/ and docs/deploy.md's table equal.
var unauthenticatedPaths = [
  '/api/aks-events'
  '/runtime/webhooks/eventgrid'
  '/api/approvals/*'
  '/api/waves/*'
  '/api/defer/*'
  '/api/plan-actions/*'
  '/api/health'
]

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'authsettingsV2'
  // One configuration write to the site at a time: App Service may answer concurrent ones 409 Conflict.
  dependsOn: [appSettings]
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      // A person opening a page is sent to sign in; the excluded paths never are.
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: unauthenticatedPaths
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: !empty(authClientId)
        registration: {
          clientId: authClientId
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: empty(authClientId) ? [] : ['api://${authClientId}', authClientId]
        }
      }
    }
    // Warden reads who signed in from the headers App Service adds; it keeps no provider tokens.
    login: {
      tokenStore: {
        enabled: false
      }
    }
    httpSettings: {
      requireHttps: true
    }
  }
}

output name string = app.name
output id string = app.id
output defaultHostName string = app.properties.defaultHostName
output eventGridFunctionId string = '${app.id}/functions/aksEventGrid'
