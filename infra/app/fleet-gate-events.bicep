// The subscription-scoped Azure Resource Notifications topic for Azure Kubernetes Fleet Manager
// (Microsoft.ResourceNotifications.AKSResources: FleetGateCreated / FleetGateUpdated / FleetGateDeleted
// when an update run reaches, completes or drops an approval gate) and its subscription to `aksEventGrid`.
// A subscription can have only one topic of this type (fleet approval-gate how-to); fleetGateEvents=false
// in main.bicep leaves it out where one exists already. Whoever deploys this needs
// Microsoft.ResourceNotifications/systemTopics/subscribeToAKSResources/action on the subscription
// (event-schema-aks-resources.md, "Role-based access control"); Owner has it.
param tags object
param functionResourceId string
param eventGridIdentityId string
param deadLetterStorageAccountId string
param deadLetterContainerName string
param subscriptionEnabled bool = true

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: 'evgt-aks-fleet-gates'
  location: 'global'
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${eventGridIdentityId}': {} }
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.ResourceNotifications.AKSResources'
  }
}

resource toWarden 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (subscriptionEnabled) {
  parent: topic
  name: 'warden'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: functionResourceId
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.ResourceNotifications.AKSResources.FleetGateCreated'
        'Microsoft.ResourceNotifications.AKSResources.FleetGateUpdated'
        'Microsoft.ResourceNotifications.AKSResources.FleetGateDeleted'
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: eventGridIdentityId
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output topicName string = topic.name
