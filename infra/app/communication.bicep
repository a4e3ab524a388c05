// Azure Communication Services for email: an Email Communication Service with an Azure-managed
// domain (DoNotReply@<guid>.azurecomm.net, no DNS to verify), linked to a Communication Service.
// Warden sends with its identity (EmailClient + DefaultAzureCredential); no access key is read.
// Azure-managed domains are throttled hard (5 mails/min, 10/hour in the 2023 limits doc); link a
// custom domain for production volume (docs/deploy.md).
param tags object
param communicationServiceName string
param emailServiceName string

@description('Where ACS stores data at rest, e.g. "United States", "Europe".')
param dataLocation string

resource email 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource domain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: email
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource acs 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [domain.id]
  }
}

output communicationServiceName string = acs.name
output communicationServiceId string = acs.id
output emailServiceId string = email.id
output endpoint string = 'https://${acs.properties.hostName}'
output senderAddress string = 'DoNotReply@${domain.properties.mailFromSenderDomain}'
