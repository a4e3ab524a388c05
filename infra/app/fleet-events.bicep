// Per fleet subscription: a small resource group for the subscription-scoped Azure Resource
// Notifications topics: AKS advance notices (scheduled-events.bicep) and Fleet Manager gates
// (fleet-gate-events.bicep).
targetScope = 'subscription'

param location string
param tags object
param resourceGroupName string
param functionResourceId string
param eventGridIdentityId string
param deadLetterStorageAccountId string
param deadLetterContainerName string
param subscriptionEnabled bool

@description('Create the Microsoft.ResourceNotifications.AKSResources topic (one per subscription at most).')
param fleetGateEvents bool

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

module fleetGates 'fleet-gate-events.bicep' = if (fleetGateEvents) {
  name: 'warden-fleet-gate-events'
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
