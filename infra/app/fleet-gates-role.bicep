// The custom role Warden decides Azure Kubernetes Fleet Manager approval gates with: approve a gate
// (PATCH state Completed), and for a rejected or expired request stop the update run or skip the stage
// or group behind the gate. Not the built-in Azure Kubernetes Fleet Manager Contributor Role, which
// also creates and deletes fleets, members, strategies and runs. Defined once, assignable in every
// fleet subscription (and, through infra/onboard.sh, a management group); assigned by fleet-rbac.bicep.
targetScope = 'subscription'

param environmentName string

@description('Subscription ids the role may be assigned in.')
param assignableSubscriptionIds array

// Custom role names are unique in a tenant.
var roleName = 'Warden Fleet Gate Approver (${environmentName}, ${subscription().subscriptionId})'

resource gates 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'warden-fleet-gate-approver', environmentName)
  properties: {
    roleName: roleName
    description: 'AKS Upgrade Warden: read Fleet Manager fleets, members, gates and update runs; complete approval gates; stop an update run or skip its stages and groups.'
    type: 'CustomRole'
    assignableScopes: [for id in assignableSubscriptionIds: '/subscriptions/${id}']
    permissions: [
      {
        actions: [
          // the fleet and its members behind a gate
          'Microsoft.ContainerService/fleets/read'
          'Microsoft.ContainerService/fleets/members/read'
          // GET …/fleets/{fleet}/gates (the timer's list of pending gates) and one gate
          'Microsoft.ContainerService/fleets/gates/read'
          // PATCH …/gates/{gate} {"properties":{"state":"Completed"}}: the approval
          'Microsoft.ContainerService/fleets/gates/write'
          // GET …/updateRuns/{run}: stages, groups, members, target version
          'Microsoft.ContainerService/fleets/updateRuns/read'
          // POST …/updateRuns/{run}/stop: a rejected or expired request
          'Microsoft.ContainerService/fleets/updateRuns/stop/action'
          // POST …/updateRuns/{run}/skip: skip the stage or group behind the gate instead
          'Microsoft.ContainerService/fleets/updateRuns/skip/action'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

output roleDefinitionGuid string = gates.name
output roleName string = roleName
