// The custom role Warden upgrades AKS with: exactly the ARM actions its code calls (the table in
// test/unit/infraContract.test.ts maps each SDK call in shared/azure/ to one of these; the test fails
// when a call needs an action that is not here). Defined once, assignable in every fleet subscription
// (and, through infra/onboard.sh, a management group); assigned by fleet-rbac.bicep.
// Not the built-in "Azure Kubernetes Service Contributor Role": that one also creates and deletes
// clusters and pools (managedClusters/*) and reads credentials.
targetScope = 'subscription'

param environmentName string

@description('Subscription ids the role may be assigned in.')
param assignableSubscriptionIds array

// Custom role names are unique in a tenant.
var roleName = 'Warden AKS Upgrader (${environmentName}, ${subscription().subscriptionId})'

resource upgrader 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'warden-aks-upgrader', environmentName)
  properties: {
    roleName: roleName
    description: 'AKS Upgrade Warden: read clusters and pools, upgrade control planes, node pools and node images, abort, and add blackout dates to maintenance configurations (Defer).'
    type: 'CustomRole'
    assignableScopes: [for id in assignableSubscriptionIds: '/subscriptions/${id}']
    permissions: [
      {
        actions: [
          // managedClusters.get / list / listByResourceGroup: snapshots before acting (Resource Graph can lag)
          'Microsoft.ContainerService/managedClusters/read'
          // managedClusters.createOrUpdate (control-plane upgrade: PUT with the new kubernetesVersion), updateTags
          'Microsoft.ContainerService/managedClusters/write'
          // managedClusters.getUpgradeProfile: the versions a cluster may go to
          'Microsoft.ContainerService/managedClusters/upgradeProfiles/read'
          // managedClusters.abortLatestOperation: cancel a running upgrade (plan cancelled)
          'Microsoft.ContainerService/managedClusters/abort/action'
          // agentPools.get / list
          'Microsoft.ContainerService/managedClusters/agentPools/read'
          // agentPools.createOrUpdate: node-pool upgrade (PUT with the new orchestratorVersion)
          'Microsoft.ContainerService/managedClusters/agentPools/write'
          // agentPools.getUpgradeProfile
          'Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles/read'
          // agentPools.upgradeNodeImageVersion: node-image plans
          'Microsoft.ContainerService/managedClusters/agentPools/upgradeNodeImageVersion/action'
          // agentPools.abortLatestOperation
          'Microsoft.ContainerService/managedClusters/agentPools/abort/action'
          // managedClusters.listKubernetesVersions(location): once per region per sweep
          'Microsoft.ContainerService/locations/kubernetesVersions/read'
          // maintenanceConfigurations.get / listByManagedCluster: windows
          'Microsoft.ContainerService/managedClusters/maintenanceConfigurations/read'
          // maintenanceConfigurations.createOrUpdate: Defer adds a notAllowedDates entry
          'Microsoft.ContainerService/managedClusters/maintenanceConfigurations/write'
          // polling every long-running operation above (Azure-AsyncOperation / Location URLs)
          'Microsoft.ContainerService/locations/operations/read'
          'Microsoft.ContainerService/locations/operationresults/read'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

output roleDefinitionGuid string = upgrader.name
output roleName string = roleName
