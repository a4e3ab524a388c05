// The user-assigned identities: one the Function App runs as (every Azure call Warden makes), one
// Event Grid system topics use to dead-letter into the storage account (shared keys are off).
param location string
param tags object
param appIdentityName string
param eventGridIdentityName string

resource app 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: appIdentityName
  location: location
  tags: tags
}

resource eventGrid 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: eventGridIdentityName
  location: location
  tags: tags
}

output appIdentityId string = app.id
output appClientId string = app.properties.clientId
output appPrincipalId string = app.properties.principalId
output eventGridIdentityId string = eventGrid.id
output eventGridPrincipalId string = eventGrid.properties.principalId
