// Key Vault for Warden's secrets, RBAC mode (no access policies). The Function App reads them as
// Key Vault references in its app settings (function.bicep), never as values in a template.
//   warden-approval-keys   HMAC keys that sign approval links, newest first (created and rotated by
//                          infra/hooks/postprovision.sh, never by a template)
//   warden-teams-workflows Teams Workflows URLs (SAS URLs: whoever holds one can post), from the
//                          secure parameter teamsWorkflows when given
//   warden-webhook-secret  HMAC secret of the outbound webhook, from the secure parameter webhookSecret
param location string
param tags object
param name string

@secure()
@description('Teams Workflows webhook URLs for WARDEN_TEAMS_WORKFLOWS; empty: none (email only).')
param teamsWorkflows string = ''

@secure()
@description('Signing secret for WARDEN_WEBHOOK_SECRET; empty: no outbound webhook secret.')
param webhookSecret string = ''

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource teams 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(teamsWorkflows)) {
  parent: vault
  name: 'warden-teams-workflows'
  properties: {
    value: teamsWorkflows
    contentType: 'text/plain'
  }
}

resource webhook 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(webhookSecret)) {
  parent: vault
  name: 'warden-webhook-secret'
  properties: {
    value: webhookSecret
    contentType: 'text/plain'
  }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
