// The Event Grid system topic of one AKS cluster (cluster-events.bicep), in the cluster's region, with
// the identity its subscriptions dead-letter with.
param name string
param location string
param tags object

@description('Resource id of the AKS cluster whose events the topic publishes.')
param clusterId string

@description('Resource id of the user-assigned identity the topic dead-letters with.')
param eventGridIdentityId string

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${eventGridIdentityId}': {} }
  }
  properties: {
    source: clusterId
    topicType: 'Microsoft.ContainerService.ManagedClusters'
  }
}

output name string = topic.name
