// Key Vault for Warden's secrets, RBAC mode (no access policies). The Function App reads them as
// Key Vault references in its app settings (function.bicep). No template writes a secret value:
//   warden-approval-keys   HMAC keys that sign approval links, newest first: created by
//                          infra/hooks/postprovision.sh, rotated by `infra/onboard.sh rotate-approval-key`
//   warden-teams-workflows Teams Workflows URLs as JSON (SAS URLs: whoever holds one can post):
//                          `infra/onboard.sh teams <file>`
//   warden-webhook-secret  HMAC secret of the outbound webhook: `infra/onboard.sh webhook <url>`
//   warden-policy          the policy document, when kept here rather than inline: `infra/onboard.sh policy <file>`
// Values go to Key Vault from files with `az keyvault secret set --file`, never through azd parameters.
param location string
param tags object
param name string

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

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
