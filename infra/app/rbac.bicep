// Role assignments inside Warden's resource group, least privilege, each for the calls that need it.
// The fleet-wide roles (Reader, Warden AKS Upgrader) are in fleet-rbac.bicep.
param storageAccountName string
param deadLetterContainerName string
param keyVaultName string
param communicationServiceName string
param applicationInsightsName string

@description('Principal id of the Function App identity.')
param appPrincipalId string

@description('Principal id of the identity Event Grid topics dead-letter with.')
param eventGridPrincipalId string

@description('Principal id of whoever runs azd (its postprovision hook writes the approval keys); empty: none.')
param deployerPrincipalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param deployerPrincipalType string = 'User'

var roles = {
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource deadLetter 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobs
  name: deadLetterContainerName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource acs 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationServiceName
}

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Storage Table Data Contributor: every Table Storage call of shared/store (createTable, getEntity,
// createEntity, updateEntity with ETags, upsertEntity, deleteEntity, submitTransaction, listEntities).
resource tables 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Queue Data Contributor: storage-queue triggers and their poison queues (host), and Warden's
// own fan-out queues (QueueClient.sendMessage / createIfNotExists).
resource queues 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Blob Data Owner: the Functions host over AzureWebJobsStorage__* (it creates its containers
// azure-webjobs-hosts / azure-webjobs-secrets, timer and singleton leases) and Flex Consumption reading
// the deployment package from the deployment container with this identity.
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault Secrets User: resolving the app settings that are Key Vault references
// (WARDEN_APPROVAL_KEYS, WARDEN_TEAMS_WORKFLOWS, WARDEN_WEBHOOK_SECRET). Read only, secrets only.
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ACS email sending (EmailClient.beginSend with the app identity). Microsoft documents a custom role
// with Microsoft.Communication/CommunicationServices/Read, Microsoft.Communication/CommunicationServices/Write
// and Microsoft.Communication/EmailServices/write as the least-privilege alternative to the built-in
// "Communication and Email Service Owner" role (MicrosoftDocs/azure-docs
// articles/communication-services/quickstarts/email/send-email-smtp/includes/smtp-authentication-customrole.md,
// ms.date 3/18/2025). Scoped to this one ACS resource.
resource emailSenderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'warden-acs-email-sender')
  properties: {
    roleName: 'Warden ACS Email Sender (${resourceGroup().name}, ${subscription().subscriptionId})'
    description: 'AKS Upgrade Warden: send email through this resource group\'s Azure Communication Services, nothing else.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: [
          'Microsoft.Communication/CommunicationServices/Read'
          'Microsoft.Communication/CommunicationServices/Write'
          'Microsoft.Communication/EmailServices/write'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

// Warden ACS Email Sender on the ACS resource: EmailClient.beginSend and its status polling.
resource emailSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(acs.id, appPrincipalId, emailSenderRole.name)
  scope: acs
  properties: {
    // Role definitions are referenced by their subscription-level id, wherever they were declared.
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', emailSenderRole.name)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Monitoring Metrics Publisher: Application Insights ingestion with Entra auth (local auth is off;
// APPLICATIONINSIGHTS_AUTHENTICATION_STRING names this identity).
resource telemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Blob Data Contributor on the dead-letter container only: Event Grid topics write events
// they could not deliver there (deadLetterWithResourceIdentity), with their user-assigned identity.
resource deadLettering 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetter.id, eventGridPrincipalId, roles.storageBlobDataContributor)
  scope: deadLetter
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: eventGridPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault Secrets Officer for the deployer: infra/hooks/postprovision.sh creates and rotates
// warden-approval-keys (az keyvault secret set), so the keys never pass through a template.
resource deployerSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}
