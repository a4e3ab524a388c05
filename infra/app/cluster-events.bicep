// One onboarded AKS cluster: its Event Grid system topic (Microsoft.ContainerService.ManagedClusters,
// in the cluster's resource group and region: cluster-topic.bicep) and a subscription delivering to the
// native Event Grid trigger `aksEventGrid` by resource id (endpointType AzureFunction: Event Grid uses the
// function's system key itself, no URL or key in a template). Deployed once per id in aksClusterIds.
// An AKS cluster can have only one system topic: if one exists already, deploy this module in that
// topic's resource group with its name in existingTopicName (main.bicep does, for clusterId|topicId).
@description('Resource id of the AKS cluster.')
param clusterId string
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

var clusterName = last(split(clusterId, '/'))
var topicName = empty(existingTopicName) ? 'evgt-aks-${clusterName}' : existingTopicName

// The cluster's own resource group: an existing topic may live elsewhere.
resource cluster 'Microsoft.ContainerService/managedClusters@2024-05-01' existing = {
  name: clusterName
  scope: resourceGroup(split(clusterId, '/')[2], split(clusterId, '/')[4])
}

// A module, because a topic's location must be known when the deployment starts and the cluster's
// region is known only once it is read: a module's parameters may be read at run time.
module newTopic 'cluster-topic.bicep' = if (empty(existingTopicName)) {
  name: take('warden-topic-${clusterName}', 64)
  params: {
    name: topicName
    location: cluster.location
    clusterId: cluster.id
    tags: tags
    eventGridIdentityId: eventGridIdentityId
  }
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: topicName
}

resource toWarden 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (subscriptionEnabled) {
  parent: topic
  name: 'warden'
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
