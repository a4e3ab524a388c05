// Warden's roles over one fleet subscription, for its user-assigned identity. Deployed once per id
// in fleetSubscriptionIds. A management-group scope is granted by infra/onboard.sh instead (a
// subscription deployment cannot write at a management group).
targetScope = 'subscription'

param principalId string

@description('Name (GUID) of the custom role from aks-upgrader-role.bicep.')
param upgraderRoleGuid string

var readerRoleId = 'acdd72a7-3385-48ef-bd42-f606fba81ae7' // Reader

// Reader: the fleet sweep's Resource Graph queries (ResourceGraphClient.resources: results only
// cover what the caller may read), managedClusters.list in the subscription, and every GET the
// dashboard and compliance findings need (clusters, pools, maintenance configurations, versions).
resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, readerRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', readerRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Warden AKS Upgrader (custom): managedClusters.createOrUpdate (control plane), agentPools.createOrUpdate
// (node pools), agentPools.upgradeNodeImageVersion, abortLatestOperation, maintenanceConfigurations.createOrUpdate
// (Defer), and polling their operations. The action list and the call it serves are in aks-upgrader-role.bicep.
resource upgrader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, upgraderRoleGuid)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', upgraderRoleGuid)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
