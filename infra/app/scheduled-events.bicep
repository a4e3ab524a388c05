// The subscription-scoped Azure Resource Notifications topic for AKS advance notices
// (Microsoft.ResourceNotifications.ContainerServiceEventResources: ScheduledEventEmitted 7 days and
// 24 hours before AKS-run maintenance such as auto-upgrade) and its subscription to `aksEventGrid`.
// One per fleet subscription; the topic resource lives in a resource group of that subscription.
// Whoever deploys this needs Microsoft.ResourceNotifications/systemTopics/subscribeToContainerServiceEventResources/action
// on the subscription (event-schema-containerservice-resources.md, "Role-based access control"); Owner has it.
param tags object
param functionResourceId string
param eventGridIdentityId string
param deadLetterStorageAccountId string
param deadLetterContainerName string
param subscriptionEnabled bool = true

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: 'evgt-aks-scheduled-events'
  location: 'global'
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${eventGridIdentityId}': {} }
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.ResourceNotifications.ContainerServiceEventResources'
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
        'Microsoft.ResourceNotifications.ContainerServiceEventResources.ScheduledEventEmitted'
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
