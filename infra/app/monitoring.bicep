// Log Analytics + workspace-based Application Insights. Local (key) auth is off: the app sends
// telemetry with its identity (Monitoring Metrics Publisher, see rbac.bicep).
param location string
param tags object
param logAnalyticsName string
param applicationInsightsName string

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    retentionInDays: 30
    sku: { name: 'PerGB2018' }
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

output applicationInsightsName string = insights.name
// The connection string carries only the instrumentation key and endpoints; with local auth off it
// grants nothing by itself (ingestion needs the Entra token of APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
output connectionString string = insights.properties.ConnectionString
