// One onboarded AKS cluster: its Event Grid system topic (Microsoft.ContainerService.ManagedClusters,
// in the cluster's resource group and region) and a subscription delivering to the native Event Grid
// trigger `aksEventGrid` by resource id (endpointType AzureFunction: Event Grid uses the function's
// system key itself, no URL or key in a template). Deployed once per id in aksClusterIds.
// An AKS cluster can have only one system topic: if one exists already, deploy this module in that
// topic's resource group with its name in existingTopicName (main.bicep does, for clusterId|topicId).
param clusterName string
param tags object

@description('Resource id of the Function App function that receives the events (…/sites/{app}/functions/aksEventGrid).')
param functionResourceId string

@description('Resource id of the user-assigned identity the topic dead-letters with.')
param eventGridIdentityId string

param deadLetterStorageAccountId string
param deadLetterContainerName string

@description('Name of a system topic the cluster already has; empty: create one.')
param existingTopicName string = ''

@description('Create the event subscription (false on the very first provision, before the function exists).')
param subscriptionEnabled bool = true

var topicName = empty(existingTopicName) ? 'evgt-aks-${clusterName}' : existingTopicName

resource cluster 'Microsoft.ContainerService/managedClusters@2024-05-01' existing = {
  name: clusterName
}

resource newTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (empty(existingTopicName)) {
  name: topicName
  location: cluster.location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${eventGridIdentityId}': {} }
  }
  properties: {
    source: cluster.id
    topicType: 'Microsoft.ContainerService.ManagedClusters'
  }
}

// Named by path rather than `parent`: the topic is either created above or already there.
#disable-next-line use-parent-property
resource toWarden 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (subscriptionEnabled) {
  name: '${topicName}/warden'
  dependsOn: [newTopic]
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
    // Exactly the AKS event types Warden handles (HANDLED_EVENT_TYPES in shared/domain/aksEvents.ts;
    // test/unit/infraContract.test.ts keeps the two equal).
    filter: {
      includedEventTypes: [
        'Microsoft.ContainerService.NewKubernetesVersionAvailable'
        'Microsoft.ContainerService.ClusterSupportEnding'
        'Microsoft.ContainerService.ClusterSupportEnded'
        'Microsoft.ContainerService.NodePoolRollingStarted'
        'Microsoft.ContainerService.NodePoolRollingSucceeded'
        'Microsoft.ContainerService.NodePoolRollingFailed'
      ]
    }
    // Event Grid's defaults, written out: 30 attempts over at most 24 h, then the dead-letter container.
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

output topicName string = topicName
