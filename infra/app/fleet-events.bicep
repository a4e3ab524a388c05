// Per fleet subscription: a small resource group for the subscription-scoped AKS notification topic.
targetScope = 'subscription'

param location string
param tags object
param resourceGroupName string
param functionResourceId string
param eventGridIdentityId string
param deadLetterStorageAccountId string
param deadLetterContainerName string
param subscriptionEnabled bool

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

module scheduled 'scheduled-events.bicep' = {
  name: 'warden-scheduled-events'
  scope: rg
  params: {
    tags: tags
    functionResourceId: functionResourceId
    eventGridIdentityId: eventGridIdentityId
    deadLetterStorageAccountId: deadLetterStorageAccountId
    deadLetterContainerName: deadLetterContainerName
    subscriptionEnabled: subscriptionEnabled
  }
}
