// The custom role Warden's pre-flight checks read with, beside the built-in Azure Kubernetes Service
// Cluster User Role (listClusterUserCredential: the server URL and CA) and Azure Kubernetes Service RBAC
// Reader (pods, PodDisruptionBudgets, events through the Kubernetes API): exactly what those two lack.
// Defined once, assignable in every fleet subscription (and, through infra/onboard.sh, a management group
// or a subscription that holds the clusters' virtual networks); assigned by fleet-rbac.bicep.
targetScope = 'subscription'

param environmentName string

@description('Subscription ids the role may be assigned in.')
param assignableSubscriptionIds array

// Custom role names are unique in a tenant.
var roleName = 'Warden Pre-flight Reader (${environmentName}, ${subscription().subscriptionId})'

resource preflight 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'warden-preflight-reader', environmentName)
  properties: {
    roleName: roleName
    description: 'AKS Upgrade Warden pre-flight: read node subnets and their free addresses, compute quota and VM sizes, and the nodes and API server metrics of AKS clusters.'
    type: 'CustomRole'
    assignableScopes: [for id in assignableSubscriptionIds: '/subscriptions/${id}']
    permissions: [
      {
        actions: [
          // subnet-ips: the virtual network and subnet of each pool's vnetSubnetID
          'Microsoft.Network/virtualNetworks/read'
          'Microsoft.Network/virtualNetworks/subnets/read'
          // subnet-ips: free addresses per subnet (virtual network usages: limit - currentValue)
          'Microsoft.Network/virtualNetworks/usages/read'
          // vcpu-quota: regional and VM-family vCPU usage (Compute usages)
          'Microsoft.Compute/locations/usages/read'
          // vcpu-quota: vCPUs of each pool's VM size (resource SKUs)
          'Microsoft.Compute/skus/read'
        ]
        notActions: []
        dataActions: [
          // nodes-ready and pdb (which pods run on the pool's nodes): cluster-scoped nodes, which
          // Azure Kubernetes Service RBAC Reader does not grant
          'Microsoft.ContainerService/managedClusters/nodes/read'
          // deprecated-apis: the API server's /metrics (apiserver_requested_deprecated_apis)
          'Microsoft.ContainerService/managedClusters/metrics/read'
        ]
        notDataActions: []
      }
    ]
  }
}

output roleDefinitionGuid string = preflight.name
output roleName string = roleName
