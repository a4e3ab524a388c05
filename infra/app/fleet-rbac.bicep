// Warden's roles over one fleet subscription, for its user-assigned identity. Deployed once per id
// in fleetSubscriptionIds. A management-group scope is granted by infra/onboard.sh instead (a
// subscription deployment cannot write at a management group).
targetScope = 'subscription'

param principalId string

@description('Name (GUID) of the custom role from aks-upgrader-role.bicep.')
param upgraderRoleGuid string

@description('Name (GUID) of the custom role from preflight-role.bicep.')
param preflightRoleGuid string

@description('Name (GUID) of the custom role from fleet-gates-role.bicep.')
param fleetGatesRoleGuid string

var readerRoleId = 'acdd72a7-3385-48ef-bd42-f606fba81ae7' // Reader
var clusterUserRoleId = '4abbcc35-e782-43d8-92c5-2d3f1bd2253f' // Azure Kubernetes Service Cluster User Role
var rbacReaderRoleId = '7f6c6a51-bcf8-42ba-9220-52d62157d7db' // Azure Kubernetes Service RBAC Reader

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

// Azure Kubernetes Service Cluster User Role: managedClusters.listClusterUserCredential, whose kubeconfig
// gives pre-flight the API server URL and CA (an Entra cluster's kubeconfig carries no credential; Warden
// sends a token for the AKS server application). No admin credential.
resource clusterUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, clusterUserRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', clusterUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Azure Kubernetes Service RBAC Reader: pre-flight's Kubernetes reads on clusters with Azure RBAC for
// Kubernetes authorization (pods, PodDisruptionBudgets with their status, events). It excludes Secrets.
resource rbacReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, rbacReaderRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacReaderRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Warden Pre-flight Reader (custom): nodes and /metrics, which RBAC Reader lacks; subnets and their
// usages, Compute usages and resource SKUs (the action list and the check behind each: preflight-role.bicep).
resource preflight 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, preflightRoleGuid)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', preflightRoleGuid)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Warden Fleet Gate Approver (custom): completing Fleet Manager approval gates, stopping or skipping
// update runs (fleet-gates-role.bicep). Polling a 202 reads locations/operations, which the upgrader role has.
resource fleetGates 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, fleetGatesRoleGuid)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', fleetGatesRoleGuid)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
