// Warden's role over a subscription that holds node subnets' virtual networks but no fleet cluster
// (a hub network): pre-flight's subnet and usage reads (subnet-ips), for its user-assigned identity.
// Deployed once per id in networkSubscriptionIds that is not a fleet subscription.
targetScope = 'subscription'

param principalId string

@description('Name (GUID) of the custom role from preflight-role.bicep.')
param preflightRoleGuid string

// Warden Pre-flight Reader: virtual networks, subnets and their usages (free addresses per subnet).
// Its other permissions read only quota and VM sizes there, and its Kubernetes data actions find no cluster.
resource preflight 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, preflightRoleGuid)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', preflightRoleGuid)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
